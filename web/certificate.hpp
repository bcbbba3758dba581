#pragma once
// The console's TLS certificate: the one configured ([web] certificate/key),
// or a self-signed one made at first start in state_dir (docs/console.md,
// "Server, certificate and ports"): an EC P-256 key (state_dir/key.pem, mode
// 0600) and a certificate valid 10 years whose CN is the host name and whose
// subjectAltName lists the host name, "localhost" and the addresses staff
// may type (the listen address, or every address of the host when it
// listens on all). Staff check its SHA-256 fingerprint against the one
// `ravaoctl status` and the command card show.

#include <filesystem>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "web/config.hpp"

namespace ravao::web {

struct certificate_files {
  std::filesystem::path certificate;
  std::filesystem::path key;
  bool created = false;  // made just now
};

// The configured pair, else state_dir/certificate.pem and key.pem, made when
// absent (written to temporary names, then renamed: a crash leaves no half).
result<certificate_files> ensure_certificate(const web_config& c);

// A new self-signed certificate and its key, PEM, for `names` (DNS names or
// IP addresses).
struct self_signed {
  std::string certificate_pem;
  std::string key_pem;
};
result<self_signed> make_self_signed(const std::string& common_name, const std::vector<std::string>& names);

// SHA-256 of the first certificate's DER in a PEM file: "AB:CD:...", 32 bytes.
result<std::string> certificate_fingerprint(const std::filesystem::path& pem);

// The host name, and the addresses a listener on `listen` answers on (its
// own address, or every non-loopback address of the host for 0.0.0.0 / ::).
std::string host_name();
std::vector<std::string> reachable_addresses(const listen_address& listen);

}  // namespace ravao::web
