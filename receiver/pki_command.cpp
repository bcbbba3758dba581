// ravao-receiver pki: certificates for tests and demos.

#include <cstdio>

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>

#include "receiver/args.hpp"
#include "receiver/commands.hpp"
#include "receiver/pki.hpp"

namespace ravao::receiver {

namespace {

constexpr option_spec specs[] = {
    {"out"}, {"host", true, true}, {"ip", true, true}, {"client"}, {"fleet"}, {"days"}, {"force", false},
};

constexpr const char* help = R"(usage: ravao-receiver pki --out DIR [--host NAME]... [--ip ADDR]... [--client GATEWAY]
                          [--fleet N] [--days N] [--force]

FOR TESTS AND DEMOS ONLY. Production uses the province's own PKI: keys made
here are unencrypted, the CA key sits next to the certificates, and nothing
revokes them.

Writes into DIR (created when missing):
  ca.pem, ca.key              a CA (give ca.pem to gateways as [sync] ca_file,
                              and to `serve --client-ca` for mutual TLS)
  server.pem, server.key      for `serve --cert/--key`: SAN DNS for each --host,
                              IP for each --ip
  client.pem, client.key      a client certificate, CN and SAN DNS = --client
                              (a gateway id), for [sync] client_cert/client_key
  other-ca.pem, other-ca.key  an unrelated CA, for wrong-CA tests
ECDSA P-256 keys, mode 0600; existing files are kept unless --force.

  --host NAME      server DNS name (repeatable; default localhost)
  --ip ADDR        server IP address (repeatable; default 127.0.0.1 and ::1)
  --client NAME    the client certificate's gateway id (default demo-gateway)
  --fleet N        also N client certificates named CLIENT-0 .. CLIENT-(N-1)
                   (fleet/NAME.pem, fleet/NAME.key), for load benches
  --days N         validity in days (default 30, at most 3650)
  --force          replace existing files
)";

}  // namespace

int pki_command(std::span<char*> args) {
  const options opts(specs, args);
  if (opts.help()) {
    std::fputs(help, stdout);
    return 0;
  }
  pki_request r;
  r.out_dir = opts.required("out");
  if (auto hosts = opts.all("host"); !hosts.empty()) r.hosts = std::move(hosts);
  r.ips = opts.all("ip");
  if (r.ips.empty()) r.ips = {"127.0.0.1", "::1"};
  for (const auto& ip : r.ips) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(ip, ec);
    if (ec) throw usage_error(fmt::format("--ip {}: not an IP address", ip));
  }
  r.client_name = opts.get("client").value_or("demo-gateway");
  if (r.client_name.empty()) throw usage_error("--client must not be empty");
  r.fleet = static_cast<int>(opts.integer("fleet", 0, 0, 1'000'000));
  r.days = static_cast<int>(opts.integer("days", 30, 1, 3650));
  r.overwrite = opts.flag("force");
  auto written = make_pki(r);
  if (!written) {
    std::fprintf(stderr, "ravao-receiver pki: %s\n", written.error().message().c_str());
    return 1;
  }
  for (const auto& p : *written) std::printf("%s\n", p.c_str());
  return 0;
}

}  // namespace ravao::receiver
