#pragma once
// Who is sending (docs/receiver.md "Identity and revocation"): every request
// is bound to one gateway id, named by the client certificate (its subject
// CN, verified against --client-ca) and/or by the bearer token's line in
// --tokens ("GATEWAY TOKEN"). A request may only carry that gateway's
// batches and heartbeats (issue 18, finding 1); there is no anonymous mode
// and no token for "any gateway".
//
// The --tokens and --deny files are read at start (a mistake stops the
// server) and again on reload() (SIGHUP): a file that no longer reads keeps
// the previous lists in force and the error is returned for the log.
//
// Thread: one `identities` is used on the server's executor only, reload()
// included; nothing here blocks but the reading of two small files.

#include <openssl/ssl.h>

#include <expected>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace ravao::receiver {

// One line of a --tokens file: "GATEWAY TOKEN".
struct bearer_token {
  std::string gateway;
  std::string token;
};

// Reads a --tokens file: "GATEWAY TOKEN" per line; blank lines and lines
// starting with '#' are skipped. A line without a gateway, a token given
// twice or a file without a token is an error naming the line.
result<std::vector<bearer_token>> load_tokens(const std::filesystem::path& path);

// What --deny refuses: certificates by SHA-256 fingerprint of their DER or by
// serial number (both lowercase hex, no colons, serial without leading
// zeros), and gateways by id (every certificate and token of theirs).
struct deny_list {
  std::set<std::string, std::less<>> fingerprints;
  std::set<std::string, std::less<>> serials;
  std::set<std::string, std::less<>> gateways;
};

// Reads a --deny file: "sha256:HEX", "serial:HEX" or "gateway:ID" per line
// (hex in either case, colons allowed); '#' comments and blank lines are
// skipped. An empty file is valid (nothing denied).
result<deny_list> load_deny_list(const std::filesystem::path& path);

// The extended key usage that marks a health department's client
// certificate (docs/tracing.md, "Certificates"): `trace-serve` accepts only
// certificates that carry it, `serve` refuses them. An OID of the UUID arc
// (ITU-T X.667), which anyone may mint without registering.
inline constexpr const char* trace_client_oid = "2.25.178286009500931313092500678291400740486";

// The client certificate of a TLS session, read once after the handshake.
struct peer_certificate {
  bool present = false;     // presented and verified against --client-ca
  std::string gateway;      // its subject CN
  std::string subject;      // the whole subject, RFC 2253 ("CN=bs.lan,O=So Y te")
  std::string fingerprint;  // SHA-256 of its DER, as in deny_list
  std::string serial;       // as in deny_list
  bool trace_role = false;  // its extended key usage includes trace_client_oid
};
peer_certificate read_peer_certificate(SSL* ssl);

// A request's sender, once authenticated.
struct sender {
  std::string gateway;
};

// Why a request is refused: the HTTP status, the message for the reply and
// the log, and the outcome counted in `stats` (unauthorized, forbidden, revoked).
struct refusal {
  unsigned status = 403;
  std::string message;
  std::string outcome;
  std::string gateway;  // the credential's gateway, when known (for stats)
};

struct identity_files {
  bool client_certificates = false;            // --client-ca: the TLS layer asks for and verifies one
  std::optional<std::filesystem::path> tokens;  // --tokens
  std::optional<std::filesystem::path> deny;    // --deny
};

class identities {
 public:
  // Reads the files; fails when neither certificates nor tokens identify
  // senders, or when a file does not read.
  static result<identities> load(identity_files files);

  // Reads the files again; on failure the lists in force stay as they were.
  result<void> reload();

  // The sender of a request from its Authorization header and its TLS
  // session's certificate: each configured credential is required, both
  // must name the same gateway, and neither may be denied. Called once the
  // header is read.
  std::expected<sender, refusal> authenticate(std::string_view authorization, const peer_certificate& peer) const;

  std::size_t token_count() const { return tokens_.size(); }
  std::size_t denied_count() const { return deny_.fingerprints.size() + deny_.serials.size() + deny_.gateways.size(); }

 private:
  explicit identities(identity_files files) : files_(std::move(files)) {}

  identity_files files_;
  std::vector<bearer_token> tokens_;
  deny_list deny_;
};

// 403 unless `s` may send for `gateway` (the body's): called once the body
// names it, for batches and heartbeats alike.
std::optional<refusal> check_sender(const sender& s, std::string_view gateway);

}  // namespace ravao::receiver
