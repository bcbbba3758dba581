// ravao-receiver: the reference provincial server of the ravao sync protocol
// (docs/receiver.md). Usage: ravao-receiver --help.

#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <string_view>

#include "receiver/args.hpp"
#include "receiver/commands.hpp"

namespace {

void usage(std::FILE* to) {
  std::fputs(
      "usage: ravao-receiver COMMAND [OPTIONS]   (ravao-receiver COMMAND --help for its options)\n"
      "\n"
      "The reference provincial server of the ravao sync protocol (docs/sync-protocol.md):\n"
      "for integration tests, demos, and provincial IT teams building their own.\n"
      "\n"
      "commands:\n"
      "  serve     receive batches and heartbeats over HTTPS into a SQLite file\n"
      "  keygen    make the provincial key pair that seals personal data\n"
      "  records   list stored records (opens sealed fields with --key)\n"
      "  stats     per gateway and stream: records, duplicates, gaps, heartbeats, requests\n"
      "  sites     load and list the province's site table (CSV)\n"
      "  report    the weekly report (CSV, printable HTML)\n"
      "  fleet     every gateway: last heartbeat, version, backlog, alarms, clock; silent ones\n"
      "  pki       make a CA, server and client certificates FOR TESTS AND DEMOS ONLY\n"
      "  trace     contact tracing with the secret key: a case's visits and who overlapped them\n"
      "  index     index new records for trace (opens each visit's sealed ID once)\n"
      "  audit     print and verify the trace audit log\n"
      "  trace-serve  the trace API over HTTPS for the health department's certificates\n"
      "\n"
      "exit codes: 0 success, 1 failure, 2 usage error\n",
      to);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ravao::receiver;
  std::signal(SIGPIPE, SIG_IGN);
  // Everything the receiver creates is the province's and private: the
  // database and its -wal/-shm, keys. Files meant for others (pki's
  // certificates) get their mode explicitly (receiver/private_files.hpp).
  ::umask(077);
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string_view command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    usage(stdout);
    return 0;
  }
  if (command == "--version") {
    std::printf("ravao-receiver %s\n", RAVAO_VERSION);
    return 0;
  }
  const std::span<char*> rest(argv + 2, static_cast<std::size_t>(argc - 2));
  try {
    if (command == "serve") return serve_command(rest);
    if (command == "keygen") return keygen_command(rest);
    if (command == "records") return records_command(rest);
    if (command == "stats") return stats_command(rest);
    if (command == "pki") return pki_command(rest);
    if (command == "sites") return sites_command(rest);
    if (command == "report") return report_command(rest);
    if (command == "fleet") return fleet_command(rest);
    if (command == "trace") return trace_command(rest);
    if (command == "index") return index_command(rest);
    if (command == "audit") return audit_command(rest);
    if (command == "trace-serve") return trace_serve_command(rest);
  } catch (const usage_error& e) {
    std::fprintf(stderr, "ravao-receiver %s: %s (see ravao-receiver %s --help)\n", argv[1], e.what(), argv[1]);
    return 2;
  }
  std::fprintf(stderr, "ravao-receiver: unknown command \"%s\" (expected serve, keygen, records, stats, sites, report, fleet, pki, trace, index, audit or trace-serve)\n",
               argv[1]);
  return 2;
}
