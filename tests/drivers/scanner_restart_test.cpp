// End to end, a real component does not stop silently: a serial scanner on a
// pseudo-terminal whose run loop dies from an exception (its sink throws, as
// the daemon's scan path does when an SQLite prepare fails) is logged as
// task.failed, reported offline, restarted by its supervisor, reopens the
// tty and comes back online, and the next scan arrives. Every wait has a
// deadline; nothing asserts on time.

#include <boost/test/unit_test.hpp>

#include <pty.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "common/supervise.hpp"
#include "drivers/serial_scanner.hpp"
#include "support/harness.hpp"
#include "support/log_capture.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using ravao::device_state;

namespace {

// A pty standing in for the scanner. The test keeps the slave open, so the
// tty outlives the scanner's close; the scanner's TIOCEXCL then stays set
// (a real device's last close clears it), so the test clears it when the
// scanner reports it closed the port, or a non-root reopen would be refused.
struct pty_scanner {
  int master = -1, slave = -1;
  std::string name;
  pty_scanner() {
    char n[256];
    termios raw{};
    ::cfmakeraw(&raw);
    if (::openpty(&master, &slave, n, &raw, nullptr) != 0) throw std::runtime_error("openpty failed");
    name = n;
  }
  ~pty_scanner() {
    ::close(slave);
    ::close(master);
  }
  void send(std::string_view bytes) const {
    BOOST_TEST_REQUIRE(::write(master, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_scanner_whose_loop_throws_is_restarted_and_comes_back_online) {
  ravao::test::log_capture logs;
  ravao::set_fatal_handler([](std::string_view why) { BOOST_ERROR("fatal: " << why); });
  pty_scanner tty;
  asio::io_context io;
  std::vector<std::pair<device_state, std::string>> states;
  std::vector<std::string> frames;
  bool thrown = false;

  ravao::scanner_config cfg;
  cfg.id = "s1";
  cfg.device = tty.name;
  ravao::scanner_sink sink;
  sink.on_frame = [&](std::string_view line) {
    if (!thrown) {
      thrown = true;
      throw std::runtime_error("sql: cannot prepare: database is locked");
    }
    frames.emplace_back(line);
  };
  sink.on_state = [&](device_state s, std::string_view why) {
    states.emplace_back(s, std::string(why));
    if (s == device_state::offline) ::ioctl(tty.slave, TIOCNXCL);
  };
  auto scanner = std::make_shared<ravao::serial_scanner>(cfg, io.get_executor(), sink, 10ms);

  const auto run_until = [&](const std::function<bool()>& pred) {
    for (const auto deadline = std::chrono::steady_clock::now() + 20s; !pred();)
      if (std::chrono::steady_clock::now() >= deadline || (!io.run_one_for(20ms) && io.stopped())) return pred();
    return true;
  };
  const auto online_count = [&] {
    return std::ranges::count_if(states, [](const auto& s) { return s.first == device_state::online; });
  };

  scanner->start();
  BOOST_TEST_REQUIRE(run_until([&] { return online_count() == 1; }));
  tty.send("FIRST\r\n");
  BOOST_TEST_REQUIRE(run_until([&] { return online_count() == 2; }), logs.text());
  tty.send("SECOND\r\n");
  BOOST_TEST_REQUIRE(run_until([&] { return !frames.empty(); }));
  BOOST_TEST(frames == (std::vector<std::string>{"SECOND"}));

  BOOST_REQUIRE(states.size() == 3u);
  BOOST_TEST(to_string(states[1].first) == "offline");
  BOOST_TEST(states[1].second == "restarting after an internal error: sql: cannot prepare: database is locked");
  const std::string text = logs.text();
  BOOST_TEST(text.find("error task.failed: a long-running task failed; restarting it task=\"scanner s1\" "
                       "error=\"sql: cannot prepare: database is locked\" restarts=0 action=restart") !=
                 std::string::npos,
             text);
  BOOST_TEST(text.find("notice task.restarted: restarted a failed task task=\"scanner s1\" restarts=1") !=
                 std::string::npos,
             text);

  scanner->stop();
  scanner.reset();
  BOOST_TEST(run_until([&] { return io.stopped(); }));  // the supervision ends: nothing left on the loop
  ravao::set_fatal_handler({});
}
