// End to end: ravaod on pty scanners, checked through ravaoctl --json.

#include <boost/test/unit_test.hpp>

#include <signal.h>

#include "integration/common.hpp"

using namespace ravao::test;
namespace json = boost::json;

struct three_counters {
  daemon_under_test d{three_counter_config()};
  fake_serial_scanner in{d.dir() / "tty-in"};
  fake_serial_scanner out{d.dir() / "tty-out"};
  fake_serial_scanner desk{d.dir() / "tty-desk"};
  three_counters() {
    d.start();
    BOOST_TEST_REQUIRE(wait_state(d, "in", "online"));
    BOOST_TEST_REQUIRE(wait_state(d, "out", "online"));
    BOOST_TEST_REQUIRE(wait_state(d, "desk", "online"));
  }
};

BOOST_FIXTURE_TEST_CASE(entry_and_exit_across_counters_make_one_visit, three_counters) {
  in.send(cccd_payload("001090012345") + "\r\n");
  BOOST_TEST_REQUIRE(wait_records(d, 1), d.log());
  out.send(cccd_payload("001090012345") + "\n");
  BOOST_TEST_REQUIRE(wait_records(d, 2));
  auto visits = d.ctl({"visits"}).as_array();
  BOOST_TEST_REQUIRE(visits.size() == 1u);
  const auto& v = visits[0].as_object();
  BOOST_TEST(as_str(v.at("counter")) == "in");
  BOOST_TEST(as_str(v.at("closed_at_counter")) == "out");
  BOOST_TEST(as_str(v.at("close_reason")) == "scan");
  BOOST_TEST(as_str(v.at("person_id")) == "**********45");  // masked by default
  BOOST_TEST(as_str(v.at("person_name")) == "NGUYỄN V. A.");
  BOOST_TEST(!v.at("open").as_bool());
  auto status = d.ctl({"status"}).as_object();
  BOOST_TEST(as_int(status.at("visits_today")) == 1);
  BOOST_TEST(as_int(status.at("open_visits")) == 0);
  BOOST_TEST(as_int(status.at("devices_online")) == 3);
  // The acknowledgement is logged only after the commit, with the record's seq.
  BOOST_TEST(eventually([&] { return d.count_log("scan.accepted") == 2; }));
  BOOST_TEST(d.log().find("seq=2") != std::string::npos);
  // ID numbers never appear in clear in the log.
  BOOST_TEST(d.log().find("001090012345") == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(toggle_duplicate_and_opaque_scans, three_counters) {
  desk.send(cccd_payload("001090012345") + "\r");
  desk.send(cccd_payload("001090012345") + "\r");  // within 5 s: duplicate
  desk.send("https://example.invalid/menu\r");      // opaque: one scan event
  BOOST_TEST_REQUIRE(wait_records(d, 2));
  BOOST_TEST(eventually([&] { return d.count_log("scan.duplicate") == 1; }));
  auto events = d.ctl({"events"}).as_array();
  BOOST_TEST_REQUIRE(events.size() == 2u);
  BOOST_TEST(as_str(events[0].at("type")) == "visit_opened");
  BOOST_TEST(as_str(events[1].at("type")) == "scan");
  BOOST_TEST(as_str(events[1].at("payload_kind")) == "opaque");
  BOOST_TEST(as_int(events[0].at("seq")) == 1);
  BOOST_TEST(as_int(events[1].at("seq")) == 2);
  auto counters = d.ctl({"counters"}).as_array();
  for (const auto& c : counters) {
    if (c.at("id").as_string() == "desk") BOOST_TEST(as_int(c.at("duplicates")) == 1);
  }
  auto open = d.ctl({"visits", "--open", "--counter", "desk"}).as_array();
  BOOST_TEST(open.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(bad_frames_are_rejected_and_the_next_scan_still_works, three_counters) {
  desk.send(std::string(1 << 20, 'A'));              // 1 MiB without a newline...
  desk.send("\n");                                   // ...ends here: too_long
  desk.send(std::string("AB\0CD\n", 6));             // NUL
  desk.send("\x1b@\x1d" "V\x42\n");                 // ESC/POS commands: ESC is refused
  desk.send("caf\xc3\x28\n");                        // invalid UTF-8
  desk.send("\xef\xbb\xbf" + cccd_payload("001090012345") + "\r\n");  // BOM: accepted, flagged
  BOOST_TEST_REQUIRE(wait_records(d, 1));
  BOOST_TEST(eventually([&] { return d.count_log("scan.rejected") == 4; }));
  const std::string log = d.log();
  for (const char* reason : {"reason=too_long", "reason=nul_byte", "reason=control_byte", "reason=invalid_utf8"})
    BOOST_TEST(log.find(reason) != std::string::npos, reason);
  auto events = d.ctl({"events"}).as_array();
  BOOST_TEST_REQUIRE(events.size() == 1u);
  BOOST_TEST(as_str(events[0].at("payload_kind")) == "cccd");
  BOOST_TEST(as_str(events[0].at("flags")).find("bom") != std::string::npos);
  auto status = d.ctl({"status"}).as_object();
  BOOST_TEST(as_int(status.at("rejected")) == 4);
  BOOST_TEST(d.proc().running());
}

BOOST_FIXTURE_TEST_CASE(unplugged_scanner_goes_offline_and_comes_back, three_counters) {
  desk.unplug();
  BOOST_TEST_REQUIRE(wait_state(d, "desk", "offline"), d.log());
  BOOST_TEST(eventually([&] { return d.count_log("scanner.gone") >= 1; }));
  auto status = d.ctl({"status"}).as_object();
  BOOST_TEST(as_int(status.at("devices_online")) == 2);
  BOOST_TEST(!status.at("alarms").as_array().empty());
  // Other counters keep working meanwhile.
  in.send(cccd_payload("001090012345") + "\n");
  BOOST_TEST_REQUIRE(wait_records(d, 1), d.log());
  desk.plug();
  BOOST_TEST_REQUIRE(wait_state(d, "desk", "online"));
  desk.send(cccd_payload("079190000001", "Lê Thị Hoa", "02021990", "Nữ") + "\n");
  BOOST_TEST_REQUIRE(wait_records(d, 2));
}

BOOST_FIXTURE_TEST_CASE(sigterm_commits_what_is_in_flight_and_exits_zero, three_counters) {
  for (int i = 0; i < 50; ++i) desk.send("ITEM-" + std::to_string(i) + "\n");
  BOOST_TEST_REQUIRE(wait_records(d, 50));
  d.stop(SIGTERM);
  auto st = d.wait_exit();
  BOOST_TEST_REQUIRE(st.has_value());
  BOOST_TEST(st->exited);
  BOOST_TEST(st->code == 0);
  BOOST_TEST(d.log().find("daemon.stopped") != std::string::npos);
  BOOST_TEST(!std::filesystem::exists(d.socket_path()));
  // Restart: everything is still there, and the sequence continues.
  d.start();
  desk.send("AFTER\n");
  BOOST_TEST_REQUIRE(wait_records(d, 51));
  auto events = d.ctl({"events", "--after-seq", "50"}).as_array();
  BOOST_TEST_REQUIRE(events.size() == 1u);
  BOOST_TEST(as_int(events[0].at("seq")) == 51);
}

BOOST_FIXTURE_TEST_CASE(hostile_names_and_unrecognised_identity_payloads_never_reach_the_screen, three_counters) {
  // C1 CSI and a right-to-left override inside a card's name field.
  desk.send(cccd_payload("001090012345", "\xc2\x9b" "2JHACK V\xc4\x83n An") + "\n");
  desk.send(cccd_payload("001090012346", "\xe2\x80\xae" "Nguyễn Văn An") + "\n");
  // A damaged CCCD QR (an 8th field): unrecognised, but still personal data.
  desk.send("001090011111||Nguyễn Văn Bí Mật|01011990|Nam|Số 5 | Ngõ 3, Hà Nội|15082021\n");
  // A parcel code with a long number: shown, the number masked.
  desk.send("PKG 123456789012 OK\n");
  BOOST_TEST_REQUIRE(wait_records(d, 4));
  const auto table = d.ctl_raw({"visits"});
  BOOST_TEST(table.code == 0);
  BOOST_TEST(table.out.find("\xc2\x9b") == std::string::npos);
  BOOST_TEST(table.out.find("\xe2\x80\xae") == std::string::npos);
  const auto json_visits = d.ctl_raw({"--json", "visits"});
  BOOST_TEST(json_visits.out.find("\xe2\x80\xae") == std::string::npos);
  const auto events = d.ctl({"events"}).as_array();
  // Text that may be personal is sealed (or, without [sync] public_key, not
  // kept): the gateway cannot show it (docs/privacy.md).
  BOOST_TEST(as_str(events[2].at("payload")).starts_with("(not kept"));
  BOOST_TEST(as_str(events[3].at("payload")).starts_with("(not kept"));
  const auto all = d.ctl_raw({"--json", "events"});
  BOOST_TEST(all.out.find("Bí Mật") == std::string::npos);
  BOOST_TEST(all.out.find("001090011111") == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(store_files_are_private_and_ravaoctl_refuses_misplaced_options, three_counters) {
  desk.send("ANY\n");
  BOOST_TEST_REQUIRE(wait_records(d, 1));
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const auto p = std::filesystem::status(d.store_path().string() + suffix).permissions();
    BOOST_TEST(((p & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
                std::filesystem::perms::none), suffix);
  }
  BOOST_TEST(d.ctl_raw({"events", "--open"}).code == 2);
  BOOST_TEST(d.ctl_raw({"status", "--since", "2h"}).code == 2);
  BOOST_TEST(d.ctl_raw({"visits", "--since", ""}).code == 2);
  BOOST_TEST(d.ctl_raw({"visits", "--limit", "0"}).code == 2);
  // A counter that no longer exists (removed by a reload) can still be searched.
  BOOST_TEST(d.ctl({"events", "--counter", "gone"}).as_array().empty());
}

BOOST_FIXTURE_TEST_CASE(audit_7_a_scans_log_lines_carry_no_id_mask_and_no_digits_of_the_id, three_counters) {
  // The audit: ID masks went to the journal (scan.accepted person=...).
  const std::string id = "079090004517";
  in.send(cccd_payload(id, "Phạm\u00A0Minh\u00A0Châu") + "\r\n");
  in.send(cccd_payload(id, "Phạm\u00A0Minh\u00A0Châu") + "\r\n");  // duplicate
  BOOST_TEST_REQUIRE(wait_records(d, 1));
  out.send(cccd_payload(id, "Phạm\u00A0Minh\u00A0Châu") + "\n");
  BOOST_TEST_REQUIRE(wait_records(d, 2));
  BOOST_TEST_REQUIRE(eventually([&] { return d.count_log("scan.accepted") == 2 && d.count_log("scan.duplicate") == 1; }));
  // The masks are there for who may see them...
  const auto visits = d.ctl({"visits"}).as_array();
  BOOST_TEST_REQUIRE(visits.size() == 1u);
  BOOST_TEST(as_str(visits[0].at("person_id")) == "**********17");
  BOOST_TEST(as_str(visits[0].at("person_name")) == "PHẠM M. C.");
  // ...never in the log. latency_us (a measurement) and the test's temporary
  // folder are not the person: taken out before digit runs of the ID (any 3
  // in a row) are looked for.
  std::string log = d.log();
  const std::string folder = d.dir().path().string();
  for (std::size_t p; (p = log.find(folder)) != std::string::npos;) log.erase(p, folder.size());
  for (std::size_t p; (p = log.find("latency_us=")) != std::string::npos;) {
    std::size_t e = p + 11;
    while (e < log.size() && std::isdigit(static_cast<unsigned char>(log[e]))) ++e;
    log.erase(p, e - p);
  }
  BOOST_TEST(log.find("person") == std::string::npos, log);
  BOOST_TEST(log.find('*') == std::string::npos, log);
  BOOST_TEST(log.find("MINH") == std::string::npos);
  BOOST_TEST(log.find("PHẠM") == std::string::npos);
  for (std::size_t i = 0; i + 3 <= id.size(); ++i)
    BOOST_TEST(log.find(id.substr(i, 3)) == std::string::npos, "log holds " << id.substr(i, 3) << ":\n" << log);
}
