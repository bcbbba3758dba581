#pragma once
// The real ravao-receiver for its own tests: a test PKI made by its `pki`,
// `serve` on a free loopback port (read back from its "listening on" line),
// a real HTTPS client, and request bodies built record by record.

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "support/harness.hpp"
#include "support/https_client.hpp"
#include "support/postgres_server.hpp"

namespace ravao::test {
namespace json = boost::json;

inline constexpr std::string_view test_gateway = "gw-test";
inline constexpr std::string_view test_stream = "6f1c0d9a4b2e4f37a1d5c3b2e1f09a87";
inline constexpr std::int64_t sent_wall_ms = 1'795'420'800'000;
inline constexpr std::int64_t sent_boottime_ns = 500'000'000'000;
inline constexpr std::string_view fixture_token = "fixture-token-gw-test";

// The error of a failed result, for test messages (which Boost.Test evaluates
// even when the check passes); "" for a success.
template <class T>
std::string why(const ravao::result<T>& r) {
  return r ? std::string() : r.error().message();
}

inline run_result receiver(std::vector<std::string> args) {
  args.insert(args.begin(), RAVAO_RECEIVER_PATH);
  return run(args, 60s);
}

inline run_result must_run(std::vector<std::string> args) {
  auto r = receiver(args);
  if (r.code != 0) throw std::runtime_error(fmt::format("ravao-receiver {} failed ({}): {}", args.at(0), r.code, r.err));
  return r;
}

class receiver_fixture {
 public:
  // With RAVAO_TEST_DB=postgresql (the ctest variants NAME_pg), the receiver
  // stores into a fresh database of the process's PostgreSQL.
  receiver_fixture() : receiver_fixture(testing_postgresql() ? shared_postgres().url(shared_postgres().create_database())
                                                            : std::string()) {}
  // On the database `db_url` ("" : a SQLite file of its own), which other
  // receivers may share.
  explicit receiver_fixture(std::string db_url) : db_url_(std::move(db_url)) {
    must_run({"pki", "--out", pki("").native(), "--client", std::string(test_gateway)});
    write_file(tokens_path(), fmt::format("{} {}\n", test_gateway, fixture_token));
  }
  ~receiver_fixture() { stop(); }

  // `serve` with `extra` arguments; waits for its port. Unless `extra` names
  // --client-ca or --tokens, senders are identified by the fixture's token
  // file (fixture_token is gw-test's; options() carries it).
  void start(std::vector<std::string> extra = {}) {
    stop();
    ++starts_;
    if (std::ranges::find(extra, "--client-ca") == extra.end() && std::ranges::find(extra, "--tokens") == extra.end()) {
      extra.push_back("--tokens");
      extra.push_back(tokens_path().native());
    }
    const auto out = dir_ / fmt::format("serve-{}.out", starts_);
    std::vector<std::string> argv{RAVAO_RECEIVER_PATH, "serve",  "--listen", "127.0.0.1:0",
                                  "--cert",            pki("server.pem").native(), "--key",
                                  pki("server.key").native(), "--db", db_arg()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<process>(argv, out, log_path());
    const bool up = eventually([&] {
      const std::string text = read_file(out);
      const auto at = text.find("listening on ");
      if (at == std::string::npos || text.find('\n', at) == std::string::npos) return false;
      port_ = static_cast<unsigned short>(std::stoi(text.substr(text.rfind(':', text.find('\n', at)) + 1)));
      return true;
    }, 30s);
    if (!up) throw std::runtime_error("ravao-receiver serve did not start: " + log());
  }

  // SIGTERM; the exit status (nullopt when it did not stop in time).
  std::optional<exit_status> stop() {
    if (!proc_) return std::nullopt;
    proc_->signal(SIGTERM);
    auto st = proc_->wait(20s);
    proc_.reset();
    return st;
  }

  // The test gateway's: the fixture's token, no client certificate.
  https_options options() const {
    https_options o;
    o.port = port_;
    o.ca_file = pki("ca.pem");
    o.token = fixture_token;
    return o;
  }
  https_options mtls_options() const {
    auto o = options();
    o.client_cert = pki("client.pem");
    o.client_key = pki("client.key");
    return o;
  }

  std::filesystem::path pki(std::string_view file) const { return dir_ / "pki" / file; }
  // The SQLite file (for the tests about the file itself: on_sqlite()).
  std::filesystem::path db() const { return dir_ / "receiver.db"; }
  // What --db gets: the SQLite file, or the PostgreSQL URL.
  std::string db_arg() const { return db_url_.empty() ? db().native() : db_url_; }
  bool on_sqlite() const { return db_url_.empty(); }
  std::filesystem::path log_path() const { return dir_ / "receiver.log"; }
  std::filesystem::path tokens_path() const { return dir_ / "fixture-tokens"; }
  // SIGHUP: serve reads --tokens and --deny again.
  void reload() {
    if (proc_) proc_->signal(SIGHUP);
  }
  const temp_dir& dir() const { return dir_; }
  std::string log() const {
    std::error_code ec;
    return std::filesystem::exists(log_path(), ec) ? read_file(log_path()) : std::string();
  }
  // Whether `needle` is in the log within `deadline`: for lines the server
  // writes after what the test observed (a handshake's failure is logged
  // after the socket is closed, a reload's after the signal).
  bool logged(std::string_view needle, std::chrono::milliseconds deadline = std::chrono::seconds(20)) const {
    return eventually([&] { return log().find(needle) != std::string::npos; }, deadline);
  }
  unsigned short port() const { return port_; }
  pid_t pid() const { return proc_ ? proc_->pid() : -1; }

  json::object stats() const { return json::parse(must_run({"stats", "--db", db_arg(), "--json"}).out).as_object(); }
  // The one stream row of the test gateway (records, duplicates, highest_seq, gaps, time_unknown).
  json::object stream_row() const {
    const auto all = stats();  // kept alive: the loop walks into it
    for (const auto& s : all.at("streams").as_array()) {
      if (s.at("gateway").as_string() == test_gateway) return s.as_object();
    }
    return {};
  }
  std::int64_t stored() const {
    const auto row = stream_row();
    return row.empty() ? 0 : row.at("records").as_int64();
  }
  json::array records(std::vector<std::string> extra = {}) const {
    std::vector<std::string> args{"records", "--db", db_arg(), "--json", "--limit", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return json::parse(must_run(args).out).as_array();
  }

 private:
  temp_dir dir_;
  std::string db_url_;  // PostgreSQL; empty: SQLite
  std::unique_ptr<process> proc_;
  unsigned short port_ = 0;
  int starts_ = 0;
};

// A valid record; `boottime_ns` defaults to a moment 100 s before the batch's `sent`.
inline json::object make_record(std::int64_t seq, std::string_view type = "visit_opened", bool synced = true,
                                std::string_view boot = "boot-a",
                                std::int64_t boottime_ns = sent_boottime_ns - 100'000'000'000) {
  json::object r{{"seq", seq},
                 {"type", type},
                 {"counter", "quay-1"},
                 {"wall_ms", synced ? sent_wall_ms - 100'000 : 86'400'000},
                 {"boot_id", boot},
                 {"boottime_ns", boottime_ns},
                 {"clock_synced", synced}};
  if (type == "visit_opened") {
    r["visit"] = seq;
    r["name_masked"] = "NGUYỄN V. A.";
    r["id_masked"] = "**********45";
  }
  if (type == "visit_closed") r["close_reason"] = "scan";
  return r;
}

inline json::object make_sent(bool synced = true, std::string_view boot = "boot-a") {
  return {{"wall_ms", sent_wall_ms}, {"boot_id", boot}, {"boottime_ns", sent_boottime_ns}, {"clock_synced", synced}};
}

inline std::string batch_body(json::array records, json::object sent = make_sent(),
                              std::string_view gateway = test_gateway, std::string_view stream = test_stream) {
  return json::serialize(json::object{
      {"protocol", 1}, {"gateway", gateway}, {"stream", stream}, {"sent", std::move(sent)}, {"records", std::move(records)}});
}

// Records first..last, all valid.
inline std::string seq_batch(std::int64_t first, std::int64_t last, std::string_view gateway = test_gateway) {
  json::array rs;
  for (std::int64_t s = first; s <= last; ++s) rs.push_back(make_record(s, s % 2 ? "visit_opened" : "scan"));
  return batch_body(std::move(rs), make_sent(), gateway);
}

inline std::string heartbeat_body(std::string_view gateway = test_gateway) {
  return json::serialize(json::object{{"protocol", 1},
                                      {"gateway", gateway},
                                      {"stream", test_stream},
                                      {"version", "0.1.0"},
                                      {"sent", make_sent()},
                                      {"queue", {{"depth", 0}, {"last_seq", 10}}}});
}

}  // namespace ravao::test
