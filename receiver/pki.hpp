#pragma once
// A small PKI for tests and demos (`ravao-receiver pki`), made with OpenSSL 3:
// a CA, a server certificate for the given host names and addresses, a client
// certificate whose CN is a gateway id, and an unrelated second CA for
// wrong-CA tests. ECDSA P-256 keys, unencrypted, written with mode 0600.
// NOT for production: the province runs its own PKI (docs/receiver.md).

#include <filesystem>
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
  int days = 30;
  bool overwrite = false;
};

// The files written, in order: ca.pem ca.key server.pem server.key client.pem
// client.key other-ca.pem other-ca.key, then the fleet's fleet/NAME.pem
// fleet/NAME.key.
result<std::vector<std::filesystem::path>> make_pki(const pki_request& r);

}  // namespace ravao::receiver
