// systemd's notification protocol, against a real datagram socket standing in
// for systemd's NOTIFY_SOCKET.

#include <boost/test/unit_test.hpp>

#include <signal.h>

#include "integration/common.hpp"
#include "integration/notify_listener.hpp"

using namespace ravao::test;

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
