#pragma once
// The real ravao-receiver for integration tests: a test PKI and a sealing
// key pair made by its own `pki` and `keygen`, `serve` on a free loopback
// port, and its `stats` / `records` read back as JSON.

#include <boost/json.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/harness.hpp"

namespace ravao::test {

class receiver_under_test {
 public:
  // Makes the PKI (server certificate for --host names `hosts`) and the key pair.
  // and IP addresses `ips` (none given: the pki's defaults, 127.0.0.1 and ::1).
  explicit receiver_under_test(std::vector<std::string> hosts = {"localhost"}, std::vector<std::string> ips = {});
  ~receiver_under_test();

  // Starts `serve` with mutual TLS (client certificates from the PKI's CA)
  // and the given extra arguments (e.g. {"--fault", "lost-ack:2"}).
  void start(std::vector<std::string> extra = {});
  void stop();
  int port() const { return port_; }
  bool running();

  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path pki(std::string_view file) const { return dir_ / "pki" / file; }
  const std::string& public_key() const { return public_key_; }
  std::filesystem::path secret_key() const { return dir_ / "province.key"; }
  // The SQLite file; db_arg(): what --db gets (that file, or with
  // RAVAO_TEST_DB=postgresql a fresh database of the process's PostgreSQL).
  std::filesystem::path db() const { return dir_ / "receiver.db"; }
  std::string db_arg() const { return db_url_.empty() ? db().native() : db_url_; }
  bool on_sqlite() const { return db_url_.empty(); }
  // Runs SQL on the receiver's database, either engine (throws on failure).
  void execute_sql(const std::string& sql) const;
  std::string log() const;

  // `stats --json`: the stream rows for `gateway` (records, duplicates, highest_seq, gaps).
  boost::json::object stream_stats(std::string_view gateway) const;
  // `records --json --key`: every stored record of `gateway`, opened.
  boost::json::array records(std::string_view gateway) const;

  // The [sync] section of a gateway config reaching this receiver at `host`
  // with the PKI's client certificate.
  std::string sync_section(std::string_view host = "localhost", std::string_view extra = "") const;

 private:
  temp_dir dir_;
  std::string db_url_, pg_name_;  // PostgreSQL; empty: SQLite
  std::string public_key_;
  std::unique_ptr<process> proc_;
  int port_ = 0;
  int starts_ = 0;
};

// Peak resident memory (VmHWM) and current (VmRSS) of a process, in KiB.
std::int64_t vm_hwm_kib(pid_t pid);
std::int64_t vm_rss_kib(pid_t pid);

}  // namespace ravao::test
