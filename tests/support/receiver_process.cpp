#include "support/receiver_process.hpp"

#include "support/postgres_server.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ravao::test {
namespace json = boost::json;

namespace {

run_result must(const std::vector<std::string>& argv) {
  auto r = run(argv, 120s);
  if (r.code != 0)
    throw std::runtime_error(fmt::format("{} failed ({}): {}{}", argv.at(1), r.code, r.out, r.err));
  return r;
}

std::int64_t status_kib(pid_t pid, std::string_view key) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(key)) return std::stoll(line.substr(key.size()));
  }
  return -1;
}

}  // namespace

receiver_under_test::receiver_under_test(std::vector<std::string> hosts, std::vector<std::string> ips) {
  if (testing_postgresql()) {
    pg_name_ = shared_postgres().create_database();
    db_url_ = shared_postgres().url(pg_name_);
  }
  std::vector<std::string> argv{RAVAO_RECEIVER_PATH, "pki", "--out", (dir_ / "pki").native(), "--client", "bd-test"};
  for (const auto& h : hosts) {
    argv.push_back("--host");
    argv.push_back(h);
  }
  for (const auto& ip : ips) {
    argv.push_back("--ip");
    argv.push_back(ip);
  }
  must(argv);
  auto k = must({RAVAO_RECEIVER_PATH, "keygen", "--out", secret_key().native()});
  public_key_ = k.out;
  while (!public_key_.empty() && (public_key_.back() == '\n' || public_key_.back() == ' ')) public_key_.pop_back();
  if (const auto nl = public_key_.rfind('\n'); nl != std::string::npos) public_key_ = public_key_.substr(nl + 1);
}

receiver_under_test::~receiver_under_test() { stop(); }

void receiver_under_test::start(std::vector<std::string> extra) {
  stop();
  ++starts_;
  const auto out = dir_ / fmt::format("serve-{}.out", starts_);
  std::vector<std::string> argv{RAVAO_RECEIVER_PATH, "serve", "--listen", port_ ? fmt::format("127.0.0.1:{}", port_) : "127.0.0.1:0",
                                "--cert", pki("server.pem").native(), "--key", pki("server.key").native(),
                                "--db", db_arg(), "--client-ca", pki("ca.pem").native()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  proc_ = std::make_unique<process>(argv, out, dir_ / "receiver.log");
  int port = 0;
  if (!eventually([&] {
        const std::string text = read_file(out);
        const auto at = text.find("listening on ");
        if (at == std::string::npos) return false;
        const auto colon = text.rfind(':', text.find('\n', at));
        port = std::stoi(text.substr(colon + 1));
        return true;
      }))
    throw std::runtime_error("ravao-receiver did not start: " + log());
  port_ = port;
}

void receiver_under_test::stop() {
  if (!proc_) return;
  proc_->signal(15);
  proc_->wait(10s);
  proc_.reset();
}

void receiver_under_test::execute_sql(const std::string& sql) const {
  execute_store_sql(on_sqlite() ? db().native() : db_url_, sql);
}

bool receiver_under_test::running() { return proc_ && proc_->running(); }

std::string receiver_under_test::log() const {
  std::error_code ec;
  return std::filesystem::exists(dir_ / "receiver.log", ec) ? read_file(dir_ / "receiver.log") : std::string();
}

json::object receiver_under_test::stream_stats(std::string_view gateway) const {
  auto r = must({RAVAO_RECEIVER_PATH, "stats", "--db", db_arg(), "--json"});
  json::object total{{"records", 0}, {"duplicates", 0}, {"highest_seq", 0}, {"gaps", 0}, {"streams", 0}};
  const json::value parsed = json::parse(r.out);
  for (const auto& s : parsed.as_object().at("streams").as_array()) {
    const auto& o = s.as_object();
    if (o.at("gateway").as_string() != gateway) continue;
    for (auto k : {"records", "duplicates", "highest_seq", "gaps"})
      total[k] = total[k].as_int64() + o.at(k).to_number<std::int64_t>();
    total["streams"] = total["streams"].as_int64() + 1;
  }
  return total;
}

json::array receiver_under_test::records(std::string_view gateway) const {
  auto r = must({RAVAO_RECEIVER_PATH, "records", "--db", db_arg(), "--key", secret_key().native(), "--gateway",
                 std::string(gateway), "--json", "--limit", "0"});
  return json::parse(r.out).as_array();
}

std::string receiver_under_test::sync_section(std::string_view host, std::string_view extra) const {
  return fmt::format(R"(
[sync]
url = "https://{}:{}/"
ca_file = "{}"
client_cert = "{}"
client_key = "{}"
public_key = "{}"
time_sync_flag = "{{dir}}/clock-synced"
backoff_base_ms = 20
backoff_cap_seconds = 1
batch_delay_ms = 50
timeout_seconds = 5
{}
)",
                     host, port_, pki("ca.pem").native(), pki("client.pem").native(), pki("client.key").native(),
                     public_key_, extra);
}

std::int64_t vm_hwm_kib(pid_t pid) { return status_kib(pid, "VmHWM:"); }
std::int64_t vm_rss_kib(pid_t pid) { return status_kib(pid, "VmRSS:"); }

}  // namespace ravao::test
