#pragma once
// A small PKI for tests and demos (`ravao-receiver pki`), made with OpenSSL 3:
// a CA, a server certificate for the given host names and addresses, a client
// certificate whose CN is a gateway id, health department certificates (the
// trace role: identity.hpp trace_client_oid, for trace-serve), and an
// unrelated second CA for wrong-CA tests. ECDSA P-256 keys, unencrypted, written with mode 0600.
// NOT for production: the province runs its own PKI (docs/receiver.md).

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace ravao::receiver {

struct pki_request {
  std::filesystem::path out_dir;
  std::vector<std::string> hosts{"localhost"};  // server SAN DNS names
  std::vector<std::string> ips;                 // server SAN IP addresses
  std::string client_name = "demo-gateway";     // the client certificate's CN (and SAN DNS)
  int fleet = 0;  // also this many client certificates, CNs CLIENT_NAME-0, -1, ..., in OUT/fleet/ (benches)
  std::vector<std::string> trace_clients;       // health department staff: CN of each trace-NAME.pem
  int days = 30;
  bool overwrite = false;
};

// The files written, in order: ca.pem ca.key server.pem server.key client.pem
// client.key other-ca.pem other-ca.key, then trace-NAME.pem trace-NAME.key
// for each trace client (NAME: the CN with characters other than letters,
// digits, '.' and '-' as '_'), then the fleet's fleet/NAME.pem fleet/NAME.key.
result<std::vector<std::filesystem::path>> make_pki(const pki_request& r);

// More certificates from the CA already in `dir` (ca.pem, ca.key).
struct issue_request {
  std::filesystem::path dir;
  std::optional<std::string> gateway_client;  // client-NAME.pem: a gateway's
  std::vector<std::string> trace_clients;     // trace-NAME.pem: the health department's
  int days = 30;
  bool expired = false;  // valid until yesterday: for tests of refusal
  bool overwrite = false;
};
result<std::vector<std::filesystem::path>> issue_from_ca(const issue_request& r);

}  // namespace ravao::receiver
