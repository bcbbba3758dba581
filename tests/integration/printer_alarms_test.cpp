// Printers that stop and need a person (paper out, cover open) raise an alarm
// in `ravaoctl status` (text and JSON) and in systemd's STATUS= line, and the
// alarm clears when the printer reports ready again: a real ravaod, printers
// that answer status bytes (a raw TCP printer on loopback, a serial printer
// on a pseudo-terminal) and a real NOTIFY_SOCKET datagram socket.

#include <boost/test/unit_test.hpp>

#include <fmt/format.h>

#include "integration/common.hpp"
#include "integration/notify_listener.hpp"
#include "support/fake_printer.hpp"

using namespace ravao::test;
namespace json = boost::json;

namespace {

// The alarm with this code in `ravaoctl --json status`; null when none.
json::value alarm_with(const daemon_under_test& d, std::string_view code) {
  const auto status = d.ctl({"status"});
  for (const auto& a : status.at("alarms").as_array())
    if (a.as_object().at("code").as_string() == code) return a;
  return nullptr;
}

bool has_alarm(const daemon_under_test& d, std::string_view code) { return !alarm_with(d, code).is_null(); }

// A job for p1: while it waits, the queue asks the printer every second, so
// a change of paper or cover is seen at once rather than at the idle poll.
void queue_a_slip(const daemon_under_test& d) { (void)d.ctl({"slip", "print", "--counter", "desk"}); }

}  // namespace

BOOST_AUTO_TEST_CASE(tcp_printer_paper_out_is_an_alarm_in_status_and_status_line_until_paper_is_loaded) {
  temp_dir sock_dir;
  notify_listener systemd(sock_dir / "notify");
  fake_tcp_printer printer;
  printer.set_condition({.paper_out = true});
  daemon_under_test d{desk_printer_config(fmt::format("[[printer]]\nid = \"p1\"\nkind = \"tcp\"\naddress = \"{}\"\n",
                                              printer.address())),
                      {{"NOTIFY_SOCKET", (sock_dir / "notify").string()}}};
  fake_serial_scanner desk{d.dir() / "tty-desk"};
  d.start();
  BOOST_TEST_REQUIRE(printer.wait_for_connections(1));

  // The queue asks the printer as soon as it is connected: paper out is an alarm.
  BOOST_TEST_REQUIRE(eventually([&] { return has_alarm(d, "printer.paper_out"); }));
  const auto a = alarm_with(d, "printer.paper_out").as_object();
  BOOST_TEST(a.at("device").as_string() == "p1");
  BOOST_TEST(a.at("counter").as_string() == "desk");
  BOOST_TEST(as_str(a.at("message")) == "printer p1 reports paper out: printing is held until it is ready");
  BOOST_TEST(as_str(a.at("message_vi")) == "Máy in hết giấy");
  BOOST_TEST(as_str(a.at("action_vi")) == "thay cuộn giấy");
  const auto text = d.ctl_raw({"status"});
  BOOST_TEST(text.code == 0);
  BOOST_TEST(text.out.find("ALARM:         printer p1 reports paper out: printing is held until it is ready "
                           "[printer.paper_out]") != std::string::npos,
             text.out);
  // STATUS= says it too; the printer's connection is up, so it counts online.
  BOOST_TEST(eventually([&] {
    const auto line = systemd.last_status();
    return line.find("2/2 devices online") != std::string::npos &&
           line.find("; printer p1 reports paper out") != std::string::npos;
  }), systemd.last_status());

  queue_a_slip(d);
  printer.set_condition({});  // paper loaded
  BOOST_TEST_REQUIRE(printer.wait_for_jobs(1));
  BOOST_TEST(eventually([&] { return !has_alarm(d, "printer.paper_out"); }));
  BOOST_TEST(eventually([&] { return systemd.last_status().find("printer p1") == std::string::npos; }),
             systemd.last_status());
  // (No [sync] public_key here: privacy.no_key stays, and no printer alarm.)
  BOOST_TEST(d.ctl_raw({"status"}).out.find("[printer.") == std::string::npos);

  // The cover is opened: the next job is held and the alarm says why.
  printer.set_condition({.cover_open = true});
  queue_a_slip(d);
  BOOST_TEST_REQUIRE(eventually([&] { return has_alarm(d, "printer.cover_open"); }));
  BOOST_TEST(as_str(alarm_with(d, "printer.cover_open").at("message_vi")) == "Nắp máy in đang mở");
  BOOST_TEST(eventually([&] { return systemd.last_status().find("printer p1 reports cover open") != std::string::npos; }),
             systemd.last_status());
  printer.set_condition({});
  BOOST_TEST_REQUIRE(printer.wait_for_jobs(2));
  BOOST_TEST(eventually([&] { return !has_alarm(d, "printer.cover_open"); }));
  BOOST_TEST(eventually([&] { return systemd.last_status().find("printer p1") == std::string::npos; }),
             systemd.last_status());
  BOOST_TEST(printer.bytes_while_not_ready() == 0u);
  d.stop();
}

BOOST_AUTO_TEST_CASE(serial_printer_on_a_pty_with_its_cover_open_is_an_alarm_until_closed) {
  daemon_under_test d{desk_printer_config(
      "[[printer]]\nid = \"p1\"\nkind = \"serial\"\ndevice = \"{dir}/tty-printer\"\npaper_width_mm = 58\n")};
  fake_serial_scanner desk{d.dir() / "tty-desk"};
  fake_pty_printer printer{d.dir() / "tty-printer"};
  printer.set_condition({.cover_open = true});
  d.start();
  BOOST_TEST_REQUIRE(eventually([&] { return has_alarm(d, "printer.cover_open"); }));
  const auto text = d.ctl_raw({"status"}).out;
  BOOST_TEST(text.find("ALARM:         printer p1 reports cover open") != std::string::npos, text);
  BOOST_TEST(text.find("[printer.cover_open]") != std::string::npos, text);
  BOOST_TEST(as_str(d.ctl({"status"}).at("summary")).find("printer p1 reports cover open") != std::string::npos);

  queue_a_slip(d);
  printer.set_condition({});  // cover closed
  BOOST_TEST_REQUIRE(printer.wait_for_jobs(1));
  BOOST_TEST(eventually([&] { return !has_alarm(d, "printer.cover_open"); }));
  const auto alarms = json::serialize(d.ctl({"status"}).at("alarms"));
  BOOST_TEST(alarms.find("\"printer.") == std::string::npos, alarms);
}
