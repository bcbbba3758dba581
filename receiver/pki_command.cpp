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
    {"trace-client", true, true}, {"add", false}, {"expired", false},
};

constexpr const char* help = R"(usage: ravao-receiver pki --out DIR [--host NAME]... [--ip ADDR]... [--client GATEWAY]
                          [--trace-client NAME]... [--fleet N] [--days N] [--force]
       ravao-receiver pki --add --out DIR [--client GATEWAY] [--trace-client NAME]...
                          [--days N] [--expired] [--force]

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
  trace-NAME.pem, .key        for each --trace-client: a health department
                              certificate (CN = NAME, the trace role in its
                              extended key usage) for trace-serve, which
                              serve refuses (docs/tracing.md)
ECDSA P-256 keys, mode 0600; existing files are kept unless --force.
With --add, the CA already in DIR issues only what is asked: client-GATEWAY
for --client, trace-NAME for each --trace-client.

  --host NAME      server DNS name (repeatable; default localhost)
  --ip ADDR        server IP address (repeatable; default 127.0.0.1 and ::1)
  --client NAME    the client certificate's gateway id (default demo-gateway)
  --fleet N        also N client certificates named CLIENT-0 .. CLIENT-(N-1)
                   (fleet/NAME.pem, fleet/NAME.key), for load benches
  --trace-client NAME  a health department certificate for NAME (repeatable)
  --days N         validity in days (default 30, at most 3650)
  --expired        with --add: certificates that expired yesterday (tests)
  --force          replace existing files
)";

int report(const result<std::vector<std::filesystem::path>>& written) {
  if (!written) {
    std::fprintf(stderr, "ravao-receiver pki: %s\n", written.error().message().c_str());
    return 1;
  }
  for (const auto& p : *written) std::printf("%s\n", p.c_str());
  return 0;
}

}  // namespace

int pki_command(std::span<char*> args) {
  const options opts(specs, args);
  if (opts.help()) {
    std::fputs(help, stdout);
    return 0;
  }
  const auto trace_clients = opts.all("trace-client");
  for (const auto& name : trace_clients)
    if (name.empty()) throw usage_error("--trace-client must not be empty");
  const int days = static_cast<int>(opts.integer("days", 30, 1, 3650));
  if (opts.flag("add")) {
    issue_request a{.dir = opts.required("out"), .gateway_client = opts.get("client"),
                    .trace_clients = trace_clients, .days = days, .expired = opts.flag("expired"),
                    .overwrite = opts.flag("force")};
    if (!a.gateway_client && a.trace_clients.empty()) throw usage_error("--add issues --client and/or --trace-client");
    return report(issue_from_ca(a));
  }
  if (opts.flag("expired")) throw usage_error("--expired goes with --add");
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
  r.trace_clients = trace_clients;
  r.fleet = static_cast<int>(opts.integer("fleet", 0, 0, 1'000'000));
  r.days = days;
  r.overwrite = opts.flag("force");
  return report(make_pki(r));
}

}  // namespace ravao::receiver
