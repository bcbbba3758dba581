// End to end: what the counter console (ravao-web) asks ravaod for over the
// control socket: the event stream (subscribe), the clear fields of the last
// scan (last_scan) and where the console is (web.register), on a real ravaod
// with pty scanners.

#include <boost/test/unit_test.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "integration/common.hpp"

using namespace ravao::test;
namespace json = boost::json;

namespace {

// One control connection, spoken to line by line, every read with a deadline.
class connection {
 public:
  explicit connection(const std::filesystem::path& socket) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
    BOOST_TEST_REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~connection() { ::close(fd_); }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  void send(const json::object& request) {
    const std::string line = json::serialize(request) + "\n";
    BOOST_TEST_REQUIRE(::write(fd_, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
  }
  // The next line, or nullopt at the deadline or end of stream.
  std::optional<json::value> next(std::chrono::milliseconds deadline = 20s) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (true) {
      if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
        json::value v = json::parse(buffer_.substr(0, nl));
        buffer_.erase(0, nl + 1);
        return v;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      char chunk[4096];
      const ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  // The next event named `event` for which `pred` holds; others are skipped.
  std::optional<json::object> next_event(std::string_view event,
                                         const std::function<bool(const json::object&)>& pred = {}) {
    while (auto v = next()) {
      const auto& o = v->as_object();
      if (const auto* e = o.if_contains("event"); e && e->as_string() == event && (!pred || pred(o))) return o;
    }
    return std::nullopt;
  }
  json::value request(const json::object& r) {
    send(r);
    auto reply = next();
    BOOST_TEST_REQUIRE(reply.has_value());
    return *reply;
  }

 private:
  int fd_ = -1;
  std::string buffer_;
};

json::value result_of(connection& c, const json::object& r) {
  const json::value reply = c.request(r);
  BOOST_TEST_REQUIRE(reply.at("ok").as_bool(), json::serialize(reply));
  return reply.at("result");
}

struct console_daemon {
  daemon_under_test d{three_counter_config()};
  fake_serial_scanner in{d.dir() / "tty-in"};
  fake_serial_scanner out{d.dir() / "tty-out"};
  fake_serial_scanner desk{d.dir() / "tty-desk"};
  console_daemon() {
    d.start();
    BOOST_TEST_REQUIRE(wait_state(d, "desk", "online"));
    BOOST_TEST_REQUIRE(wait_state(d, "in", "online"));
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_subscriber_gets_its_counters_records_and_the_last_scan_fields, console_daemon) {
  connection sub(d.socket_path());
  const json::value answer = result_of(sub, {{"cmd", "subscribe"}, {"counter", "desk"}});
  BOOST_TEST(answer.at("subscribed").as_bool());
  const std::int64_t last_seq = answer.at("last_seq").as_int64();
  // A line sent after subscribing is not a request: no answer comes for it.
  sub.send({{"cmd", "ping"}});

  in.send(cccd_payload("001090099999", "Lê Văn Cường") + "\r\n");  // another counter: filtered out
  desk.send(cccd_payload("001090012345") + "\r\n");
  const auto ev = sub.next_event("record");
  BOOST_TEST_REQUIRE(ev.has_value());
  const auto& rec = ev->at("record").as_object();
  BOOST_TEST(rec.at("counter").as_string() == "desk");
  BOOST_TEST(rec.at("type").as_string() == "visit_opened");
  BOOST_TEST(rec.at("seq").as_int64() > last_seq);
  // Masked as `events` masks it, and the same object as `events` gives.
  BOOST_TEST(rec.at("person_id").as_string() == "**********45");
  BOOST_TEST(rec.at("person_name").as_string() == "NGUYỄN V. A.");
  const auto events = d.ctl({"events", "--counter", "desk"}).as_array();
  BOOST_TEST_REQUIRE(events.size() == 1u);
  BOOST_TEST(events[0].as_object() == rec);

  // The clear fields of that scan, for the declaration form.
  connection c(d.socket_path());
  const json::value last = result_of(c, {{"cmd", "last_scan"}, {"counter", "desk"}});
  BOOST_TEST_REQUIRE(last.is_object());
  BOOST_TEST(last.at("kind").as_string() == "cccd");
  BOOST_TEST(last.at("visit").as_int64() == rec.at("visit").as_int64());
  const auto& fields = last.at("fields").as_object();
  BOOST_TEST(fields.at("name").as_string() == "Nguyễn Văn An");
  BOOST_TEST(fields.at("id").as_string() == "001090012345");
  BOOST_TEST(fields.at("birth").as_string() == "1990-01-01");
  BOOST_TEST(fields.at("sex").as_string() == "male");
  BOOST_TEST(fields.at("nationality").as_string() == "Việt Nam");
  BOOST_TEST(result_of(c, {{"cmd", "last_scan"}, {"counter", "out"}}).is_null());
  const json::value unknown = c.request({{"cmd", "last_scan"}, {"counter", "nowhere"}});
  BOOST_TEST(!unknown.at("ok").as_bool());

  // Only in memory: never in the log, nor in the store, and gone after a restart.
  BOOST_TEST(d.log().find("Nguyễn Văn An") == std::string::npos);
  BOOST_TEST(d.log().find("001090012345") == std::string::npos);
  d.stop();
  BOOST_TEST(read_file(d.store_path()).find("Nguyễn Văn An") == std::string::npos);
  d.start();
  connection again(d.socket_path());
  BOOST_TEST(result_of(again, {{"cmd", "last_scan"}, {"counter", "desk"}}).is_null());
}

BOOST_FIXTURE_TEST_CASE(a_subscriber_is_told_of_device_changes_and_gets_heartbeats, console_daemon) {
  connection sub(d.socket_path());
  BOOST_TEST_REQUIRE(result_of(sub, {{"cmd", "subscribe"}}).at("subscribed").as_bool());
  desk.unplug();
  const auto gone = sub.next_event("device", [](const json::object& o) {
    const auto& dev = o.at("device").as_object();
    return dev.at("id").as_string() == "s-desk" && dev.at("state").as_string() != "online";
  });
  BOOST_TEST_REQUIRE(gone.has_value());
  BOOST_TEST(gone->at("device").at("type").as_string() == "scanner");
  BOOST_TEST(gone->at("device").at("counter").as_string() == "desk");
  desk.plug();
  BOOST_TEST(sub.next_event("device", [](const json::object& o) {
    return o.at("device").at("id").as_string() == "s-desk" && o.at("device").at("state").as_string() == "online";
  }).has_value());
  // Every 15 s, even when nothing happens (the idle close does not apply).
  const auto beat = sub.next_event("heartbeat");
  BOOST_TEST_REQUIRE(beat.has_value());
  BOOST_TEST(beat->at("now").as_string().size() == 19u);
}

BOOST_FIXTURE_TEST_CASE(the_65th_subscriber_is_refused_and_stop_ends_every_stream, console_daemon) {
  std::vector<std::unique_ptr<connection>> subs;
  for (int i = 0; i < 64; ++i) {
    subs.push_back(std::make_unique<connection>(d.socket_path()));
    BOOST_TEST_REQUIRE(result_of(*subs.back(), {{"cmd", "subscribe"}}).at("subscribed").as_bool());
  }
  connection extra(d.socket_path());
  const json::value refused = extra.request({{"cmd", "subscribe"}});
  BOOST_TEST(!refused.at("ok").as_bool());
  BOOST_TEST(refused.at("error").as_string() == "too many subscribers (64)");
  // The refused connection still takes requests.
  BOOST_TEST(result_of(extra, {{"cmd", "ping"}}).as_string() == "pong");
  // One leaving makes room.
  subs.pop_back();
  BOOST_TEST(eventually([&] {
    connection c(d.socket_path());
    return c.request({{"cmd", "subscribe"}}).at("ok").as_bool();
  }));
  d.stop();
  for (auto& s : subs) BOOST_TEST(!s->next(10s).has_value());  // end of stream, not the deadline
}

BOOST_FIXTURE_TEST_CASE(the_console_registers_and_status_and_the_command_card_show_it, console_daemon) {
  std::string fp;
  for (int i = 0; i < 32; ++i) fp += (i ? ":" : "") + std::string("5E");
  connection c(d.socket_path());
  BOOST_TEST(d.ctl({"status"}).at("web").is_null());
  BOOST_TEST(result_of(c, {{"cmd", "web.register"}, {"url", "https://192.168.1.10:8443/"}, {"fingerprint", fp}})
                 .at("registered")
                 .as_bool());
  const auto web = d.ctl({"status"}).at("web");
  BOOST_TEST_REQUIRE(web.is_object());
  BOOST_TEST(web.at("url").as_string() == "https://192.168.1.10:8443/");
  BOOST_TEST(web.at("fingerprint").as_string() == fp);
  const run_result text = d.ctl_raw({"status"});
  BOOST_TEST(text.out.find("console:       https://192.168.1.10:8443/ (certificate SHA-256 " + fp + ")") !=
             std::string::npos, text.out);
  const json::value bad = c.request({{"cmd", "web.register"}, {"url", "https://x/"}, {"fingerprint", "AB"}});
  BOOST_TEST(!bad.at("ok").as_bool());
  BOOST_TEST(d.count_log("control.web_registered") == 1u);
}
