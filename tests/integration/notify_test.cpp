// systemd's notification protocol, against a real datagram socket standing in
// for systemd's NOTIFY_SOCKET.

#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "integration/common.hpp"

using namespace ravao::test;

namespace {

class notify_listener {
 public:
  explicit notify_listener(const std::filesystem::path& path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("bind failed");
    timeval tv{0, 50'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~notify_listener() { ::close(fd_); }

  // Reads what has arrived; returns every message so far.
  const std::vector<std::string>& poll() {
    char buf[4096];
    while (true) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      messages_.emplace_back(buf, static_cast<std::size_t>(n));
    }
    return messages_;
  }
  bool seen(std::string_view prefix) {
    for (const auto& m : poll()) {
      if (m.find(prefix) != std::string::npos) return true;
    }
    return false;
  }
  std::size_t count(std::string_view needle) {
    std::size_t n = 0;
    for (const auto& m : poll()) n += m.find(needle) != std::string::npos ? 1 : 0;
    return n;
  }

 private:
  int fd_ = -1;
  std::vector<std::string> messages_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(ready_status_watchdog_reloading_stopping) {
  temp_dir sock_dir;
  notify_listener systemd(sock_dir / "notify");
  daemon_under_test d(three_counter_config(),
                      {{"NOTIFY_SOCKET", (sock_dir / "notify").string()}, {"WATCHDOG_USEC", "400000"}});
  fake_serial_scanner in(d.dir() / "tty-in"), out(d.dir() / "tty-out"), desk(d.dir() / "tty-desk");
  d.start();
  BOOST_TEST(systemd.seen("READY=1"));
  // STATUS= is a one-line summary: counters, devices online, visits today, open visits.
  BOOST_TEST_REQUIRE(eventually([&] { return systemd.seen("STATUS=3 counters, 3/3 devices online, 0 visits today, 0 open"); }));
  desk.send(cccd_payload("001090012345") + "\n");
  BOOST_TEST(eventually([&] { return systemd.seen("1 visits today, 1 open"); }));
  // The loop pings the watchdog at half the interval systemd asked for.
  BOOST_TEST(eventually([&] { return systemd.count("WATCHDOG=1") >= 3; }));

  d.proc().signal(SIGHUP);
  BOOST_TEST(eventually([&] { return systemd.seen("RELOADING=1"); }));
  BOOST_TEST(eventually([&] { return systemd.count("READY=1") >= 2; }));

  desk.unplug();
  BOOST_TEST(eventually([&] { return systemd.seen("2/3 devices online"); }));

  d.stop(SIGTERM);
  BOOST_TEST(systemd.seen("STOPPING=1"));
  BOOST_TEST(d.wait_exit()->code == 0);
}
