// End to end over USB: ravaod (a child process under umockdev's preload)
// drives emulated USB scanners and a printer through the real libusb, while
// this process owns the testbed and answers the device's ioctls
// (docs/usb-testing.md). Scans take the daemon's one pipeline: checked
// through ravaoctl, as for serial scanners.

#include <boost/test/unit_test.hpp>

#include <signal.h>

#include "integration/common.hpp"
#include "support/usb/scanner_devices.hpp"

using namespace ravao::test;
namespace fu = ravao::test::usb;
namespace json = boost::json;

namespace {

const std::string usb_config = R"(
[site]
id = "bd-usb"
name = "Bưu điện USB"

[store]
path = "{dir}/ravao.db"

[control]
socket = "{dir}/ravaod.sock"

[[scanner]]
id = "s-pos"
kind = "usb-hid"
usb_id = "05e0:1300"
usb_port = "1-2"

[[scanner]]
id = "s-kbd"
kind = "usb-hid"
mode = "keyboard"
usb_id = "0c2e:0b61"

[[printer]]
id = "p1"
kind = "usb"

[[counter]]
id = "in"
name = "Quầy 1"
scanner = "s-pos"
mode = "entry"
printer = "p1"

[[counter]]
id = "desk"
name = "Quầy 2"
scanner = "s-kbd"
mode = "toggle"
)";

json::object device(const daemon_under_test& d, std::string_view id) {
  const json::value all = d.ctl({"devices"});
  for (const auto& v : all.as_array())
    if (v.at("id").as_string() == id) return v.as_object();
  throw std::runtime_error("no device " + std::string(id));
}

bool wait_device(const daemon_under_test& d, std::string_view id, std::string_view state) {
  return eventually([&] { return device(d, id).at("state").as_string() == state; });
}

struct usb_site {
  fu::usb_testbed bed;  // sets $UMOCKDEV_DIR, inherited by ravaod
  fu::fake_usb_device pos{fu::hid_pos_scanner(0x05e0, 0x1300, {.devnum = 2, .port_path = "2"})};
  fu::fake_usb_device wedge{fu::keyboard_scanner(0x0c2e, 0x0b61, {.devnum = 3, .port_path = "3"})};
  fu::fake_usb_device printer{fu::printer(0x04b8, 0x0202, {.devnum = 4, .port_path = "4"})};
  fu::fake_usb_device staff_keyboard{fu::keyboard_scanner(0x046d, 0xc31c, {.devnum = 5, .port_path = "5"})};
  daemon_under_test d{usb_config};
  usb_site() {
    bed.pollable_nodes = true;
    bed.add_root_hub();
    bed.add(pos);
    bed.add(wedge);
    bed.add(printer);
    bed.add(staff_keyboard);
    d.start();
    BOOST_TEST_REQUIRE(wait_device(d, "s-pos", "online"), as_str(device(d, "s-pos")));
    BOOST_TEST_REQUIRE(wait_device(d, "s-kbd", "online"), as_str(device(d, "s-kbd")));
    BOOST_TEST_REQUIRE(wait_device(d, "p1", "online"), as_str(device(d, "p1")));
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(usb_scans_become_visits_and_devices_show_how_they_were_matched, usb_site) {
  fu::send(pos, fu::pos_reports(cccd_payload("001090012345")));
  BOOST_TEST_REQUIRE(wait_records(d, 1));
  auto events = d.ctl({"events"}).as_array();
  BOOST_TEST(as_str(events[0].at("type")) == "visit_opened");
  BOOST_TEST(as_str(events[0].at("counter")) == "in");
  BOOST_TEST(as_str(events[0].at("person_id")) == "**********45");

  fu::send(wedge, fu::keyboard_reports("https://example.invalid/menu"));
  BOOST_TEST_REQUIRE(wait_records(d, 2));
  events = d.ctl({"events"}).as_array();
  BOOST_TEST(as_str(events[1].at("counter")) == "desk");
  BOOST_TEST(as_str(events[1].at("payload_kind")) == "opaque");

  const auto s = device(d, "s-pos");
  BOOST_TEST(as_str(s.at("match")) == "usb_id 05e0:1300, port 1-2, mode auto");
  BOOST_TEST(as_str(s.at("usb").at("port")) == "1-2");
  BOOST_TEST(as_str(s.at("counter")) == "in");
  const auto p = device(d, "p1");
  BOOST_TEST(as_str(p.at("attached")) == "04b8:0202 at 1-4");
  BOOST_TEST(as_str(p.at("reason")).find("MDL:TM-T20") != std::string::npos, as_str(p.at("reason")));
  // The staff keyboard: listed as unassigned, never claimed, usbhid keeps it.
  bool listed = false;
  const json::value all = d.ctl({"devices"});
  for (const auto& v : all.as_array())
    if (v.at("type").as_string() == "usb-unassigned" && as_str(v.at("usb").at("usb_id")) == "046d:c31c") listed = true;
  BOOST_TEST(listed);
  BOOST_TEST(staff_keyboard.kernel_driver_bound(0));
  BOOST_TEST(!staff_keyboard.claimed(0));
  BOOST_TEST(!pos.kernel_driver_bound(0));
  BOOST_TEST(!printer.kernel_driver_bound(0));
  // The human table shows the same.
  const auto table = d.ctl_raw({"devices"});
  BOOST_TEST(table.code == 0);
  BOOST_TEST(table.out.find("MATCHED BY") != std::string::npos);
  BOOST_TEST(table.out.find("05e0:1300 at 1-2") != std::string::npos, table.out);

  // Released on stop: the kernel drivers get their devices back.
  d.stop();
  BOOST_TEST(eventually([&] { return pos.kernel_driver_bound(0) && wedge.kernel_driver_bound(0) &&
                                     printer.kernel_driver_bound(0); }, std::chrono::seconds(5)));
}

BOOST_FIXTURE_TEST_CASE(unplug_and_replug_a_usb_scanner_while_the_others_keep_working, usb_site) {
  fu::send(pos, fu::pos_reports(cccd_payload("001090012345")));
  BOOST_TEST_REQUIRE(wait_records(d, 1));
  BOOST_TEST_REQUIRE(eventually([&] { return pos.urbs_in_flight() == 1; }));
  bed.remove(pos);  // mid transfer
  BOOST_TEST_REQUIRE(wait_device(d, "s-pos", "offline"));
  BOOST_TEST(as_str(device(d, "s-pos").at("reason")).find("unplugged") != std::string::npos);
  auto status = d.ctl({"status"}).as_object();
  BOOST_TEST(as_int(status.at("devices_online")) == 2);
  BOOST_TEST(as_int(status.at("devices_total")) == 3);
  // The other counter is unaffected.
  fu::send(wedge, fu::keyboard_reports("TICKET-7"));
  BOOST_TEST_REQUIRE(wait_records(d, 2));

  bed.add(pos);  // back on the same port
  BOOST_TEST_REQUIRE(wait_device(d, "s-pos", "online"));
  fu::send(pos, fu::pos_reports(cccd_payload("001090099999", "Trần Thị Bích")));
  BOOST_TEST_REQUIRE(wait_records(d, 3));
  BOOST_TEST(d.count_log("scanner.gone") == 1);
}

BOOST_FIXTURE_TEST_CASE(a_wedge_mangling_a_cccd_is_recorded_and_the_operator_told_how_to_fix_it, usb_site) {
  fu::send(wedge, fu::keyboard_reports("001090012345|012345678|Nguyn Vn An|01011990|Nam|S 1|15062021"));
  BOOST_TEST_REQUIRE(wait_records(d, 1));
  BOOST_TEST(eventually([&] { return d.count_log("scanner.keyboard_mangled") == 1; }));
  BOOST_TEST(d.log().find("switch it to HID POS or serial") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_reload_that_drops_a_usb_scanner_gives_the_device_back_and_one_that_maps_it_takes_it, usb_site) {
  std::string cfg = read_file(d.config_path());
  // Counter "desk" and its keyboard-mode scanner removed: usbhid gets the wedge back.
  const auto cut = cfg.find("[[scanner]]\nid = \"s-kbd\"");
  const auto cut_end = cfg.find("[[printer]]");
  BOOST_TEST_REQUIRE((cut != std::string::npos && cut_end != std::string::npos));
  std::string without = cfg.substr(0, cut) + cfg.substr(cut_end);
  without = without.substr(0, without.find("[[counter]]\nid = \"desk\""));
  write_file(d.config_path(), without);
  d.proc().signal(SIGHUP);
  BOOST_TEST_REQUIRE(eventually([&] { return d.count_log("config.reloaded") == 1; }), d.log());
  BOOST_TEST(eventually([&] { return wedge.kernel_driver_bound(0) && !wedge.claimed(0); }));
  BOOST_TEST(as_str(device(d, "s-pos").at("state")) == "online");  // untouched by the reload

  // Mapped again, by port this time: taken without a replug.
  write_file(d.config_path(), cfg + "\n");
  const std::string by_port = std::string(cfg).replace(cfg.find("usb_id = \"0c2e:0b61\""),
                                                        std::string("usb_id = \"0c2e:0b61\"").size(),
                                                        "usb_port = \"1-3\"");
  write_file(d.config_path(), by_port);
  d.proc().signal(SIGHUP);
  BOOST_TEST_REQUIRE(eventually([&] { return d.count_log("config.reloaded") == 2; }), d.log());
  BOOST_TEST_REQUIRE(wait_device(d, "s-kbd", "online"), as_str(device(d, "s-kbd")));
  BOOST_TEST(as_str(device(d, "s-kbd").at("match")) == "port 1-3, mode keyboard");
  fu::send(wedge, fu::keyboard_reports("AFTER-RELOAD"));
  BOOST_TEST_REQUIRE(wait_records(d, 1));
}
