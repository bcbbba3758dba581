// End to end: the control commands the counter console uses (issue 14,
// docs/control.md), sent over the control socket to a real ravaod with a
// pty scanner and a file printer: check-out and undo with their actor, the
// check-in poster read back with libzbar, a declaration's printed copy whose
// answers never reach the store file, and the summary; the print-only
// actions' `action` records (store schema 8) with their actor, up to a real
// ravao-receiver.

#include <boost/test/unit_test.hpp>

#include <pwd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "integration/common.hpp"
#include "support/escpos_decoder.hpp"
#include "support/receiver_process.hpp"
#include "support/zbar_scan.hpp"

using namespace ravao::test;
namespace json = boost::json;

namespace {

constexpr std::string_view checkin = "https://tokhaiyte.vn/checkin?place=BD-TEST-0042";

std::string desk_config(std::string_view site_extra) {
  return fmt::format(R"(
[site]
id = "bd-test"
name = "Bưu điện Văn hóa xã Tân Phú"
{}

[store]
path = "{{dir}}/ravao.db"

[control]
socket = "{{dir}}/ravaod.sock"

[[scanner]]
id = "s-desk"
kind = "serial"
device = "{{dir}}/tty-desk"

[[counter]]
id = "desk"
name = "Quầy 2"
scanner = "s-desk"
mode = "toggle"
printer = "p1"

[[printer]]
id = "p1"
kind = "file"
path = "{{dir}}/printed"
)",
                     site_extra);
}

// One request on a fresh control connection, as ravao-web sends it; the
// reply object. A 20 s receive timeout is the deadline.
json::object control(const daemon_under_test& d, const json::object& request) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  BOOST_TEST_REQUIRE(fd >= 0);
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = d.socket_path().native();
  std::copy(path.begin(), path.end(), addr.sun_path);
  BOOST_TEST_REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  const std::string line = json::serialize(request) + "\n";
  BOOST_TEST_REQUIRE(::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
  std::string reply;
  char buf[4096];
  while (reply.find('\n') == std::string::npos) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  BOOST_TEST_REQUIRE(reply.find('\n') != std::string::npos, "no reply to " << line);
  return json::parse(reply).as_object();
}

json::value ok(const daemon_under_test& d, const json::object& request) {
  auto reply = control(d, request);
  BOOST_TEST_REQUIRE(reply.at("ok").as_bool(), json::serialize(reply));
  return reply.at("result");
}

std::vector<std::filesystem::path> printed(const daemon_under_test& d) {
  std::vector<std::filesystem::path> out;
  const auto dir = d.dir() / "printed";
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".bin") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string bytes_of(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

json::object event_of(const daemon_under_test& d, std::int64_t seq) {
  const json::array events = d.ctl({"events", "--limit", "100000"}).as_array();  // by value: outlives the loop
  for (const auto& e : events)
    if (e.at("seq").as_int64() == seq) return e.as_object();
  BOOST_FAIL("no record " << seq);
  return {};
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_checkin_poster_prints_the_configured_code_for_phones_to_scan) {
  daemon_under_test d{desk_config(fmt::format("checkin_qr = \"{}\"", checkin))};
  fake_serial_scanner desk{d.dir() / "tty-desk"};
  d.start();
  const auto job = ok(d, {{"cmd", "poster.print"}, {"counter", "desk"}, {"actor", "web:sup"}}).as_object();
  BOOST_TEST(as_str(job.at("kind")) == "poster");
  BOOST_TEST_REQUIRE(eventually([&] { return printed(d).size() == 1; }), d.log());
  const std::string bytes = bytes_of(printed(d)[0]);
  auto decoded = decode_escpos(std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
  BOOST_TEST_REQUIRE(decoded.has_value(), (decoded ? "" : decoded.error().message()));
  BOOST_TEST_REQUIRE(decoded->pages.size() == 1u);
  const auto codes = zbar_scan(decoded->pages[0]);
  BOOST_TEST_REQUIRE(codes.size() == 1u);
  BOOST_TEST(codes[0] == checkin);
  BOOST_TEST(d.count_log("poster.queued") == 1);
  // An unknown counter, and a counter argument missing: errors in words.
  BOOST_TEST(!control(d, {{"cmd", "poster.print"}, {"counter", "nowhere"}}).at("ok").as_bool());
}

BOOST_AUTO_TEST_CASE(without_a_checkin_code_the_poster_is_refused_saying_what_to_set) {
  daemon_under_test d{desk_config("")};
  fake_serial_scanner desk{d.dir() / "tty-desk"};
  d.start();
  const auto reply = control(d, {{"cmd", "poster.print"}, {"counter", "desk"}});
  BOOST_TEST(!reply.at("ok").as_bool());
  BOOST_TEST(as_str(reply.at("error")).find("[site] checkin_qr") != std::string::npos, json::serialize(reply));
  BOOST_TEST(d.ctl({"jobs"}).as_array().empty());
}

BOOST_AUTO_TEST_CASE(checkout_undo_and_declare_record_who_asked) {
  daemon_under_test d{desk_config("")};
  fake_serial_scanner desk{d.dir() / "tty-desk"};
  d.start();
  BOOST_TEST_REQUIRE(wait_state(d, "desk", "online"));
  desk.send(cccd_payload("079203004545", "Lê Thị Hoa", "01012003", "Nữ") + "\r\n");
  BOOST_TEST_REQUIRE(wait_records(d, 1), d.log());
  const auto visit = d.ctl({"events"}).as_array().at(0).at("visit").as_int64();

  // A bad actor is refused before anything is done.
  const auto bad = control(d, {{"cmd", "visit.checkout"}, {"counter", "desk"}, {"actor", "web:<script>"}});
  BOOST_TEST(!bad.at("ok").as_bool());
  BOOST_TEST(!control(d, {{"cmd", "visit.undo"}, {"counter", "desk"}, {"actor", ""}}).at("ok").as_bool());
  BOOST_TEST(d.ctl({"events"}).as_array().size() == 1u);

  // A declaration with a printed copy: the answers print, the store never holds them.
  const auto declared = ok(d, {{"cmd", "declare"}, {"counter", "desk"}, {"actor", "web:alice"}, {"print_copy", true},
                               {"fields", json::array{json::array{"name", "Lê Thị Hoa"},
                                                      json::array{"phone", "0912 777 888"},
                                                      json::array{"address", "Thôn Đồng Xoài 7"}}}})
                            .as_object();
  BOOST_TEST(declared.at("visit").as_int64() == visit);
  BOOST_TEST_REQUIRE(declared.contains("job"));
  BOOST_TEST(as_str(event_of(d, declared.at("seq").as_int64()).at("actor")) == "web:alice");
  BOOST_TEST_REQUIRE(eventually([&] { return printed(d).size() == 1; }), d.log());
  BOOST_TEST(d.count_log("declaration.copy_queued") == 1);

  const auto out = ok(d, {{"cmd", "visit.checkout"}, {"counter", "desk"}, {"visit", visit}, {"actor", "web:alice"}})
                       .as_object();
  BOOST_TEST(out.at("visit").as_int64() == visit);
  const auto closed = event_of(d, out.at("seq").as_int64());
  BOOST_TEST(as_str(closed.at("close_reason")) == "staff_checkout");
  BOOST_TEST(as_str(closed.at("actor")) == "web:alice");
  // Closed already: an error, not a silent nothing.
  BOOST_TEST(!control(d, {{"cmd", "visit.checkout"}, {"counter", "desk"}, {"visit", visit}}).at("ok").as_bool());

  // Without an actor: the peer's own user.
  desk.send(cccd_payload("079203001111", "Phạm Văn Nam", "02021990", "Nam") + "\r\n");
  BOOST_TEST_REQUIRE(eventually([&] {
    const json::array events = d.ctl({"events"}).as_array();
    for (const auto& e : events)
      if (as_str(e.at("type")) == "visit_opened" && e.at("visit").as_int64() != visit) return true;
    return false;
  }));
  const auto undone = ok(d, {{"cmd", "visit.undo"}, {"counter", "desk"}}).as_object();
  BOOST_TEST_REQUIRE(undone.at("seq").as_int64() > 0, json::serialize(undone));
  const struct passwd* me = ::getpwuid(::getuid());
  BOOST_TEST_REQUIRE(me != nullptr);
  BOOST_TEST(as_str(event_of(d, undone.at("seq").as_int64()).at("actor")) == std::string("unix:") + me->pw_name);

  // The supervisor's summary counts all of it.
  const auto sum = ok(d, {{"cmd", "summary"}, {"days", 2}}).as_object();
  const auto& days = sum.at("days").as_array();
  BOOST_TEST_REQUIRE(days.size() == 2u);  // one configured counter, two days
  const auto& today = days.at(1).as_object();
  BOOST_TEST(as_str(today.at("counter")) == "desk");
  BOOST_TEST(today.at("visits").as_int64() == 2);
  BOOST_TEST(today.at("declarations").as_int64() == 1);
  BOOST_TEST(today.at("staff_checkouts").as_int64() == 1);
  BOOST_TEST(!sum.at("today_hours").as_array().empty());
  BOOST_TEST(!control(d, {{"cmd", "summary"}, {"days", 32}}).at("ok").as_bool());

  // The phone and address were printed for the visitor but are in no file of the store.
  d.stop();
  const std::string db = bytes_of(d.store_path()) + bytes_of(d.store_path().native() + "-wal");
  for (const std::string needle : {"0912777888", "0912 777 888", "Đồng Xoài", "Lê Thị Hoa"})
    BOOST_TEST(db.find(needle) == std::string::npos, "the store holds " << needle);
}

BOOST_AUTO_TEST_CASE(print_only_actions_write_action_records_that_reach_the_province_with_their_actor) {
  receiver_under_test r;
  r.start();
  daemon_under_test d{desk_config(fmt::format("checkin_qr = \"{}\"", checkin)) + r.sync_section()};
  write_file(d.dir() / "clock-synced", "");
  fake_serial_scanner desk{d.dir() / "tty-desk"};
  d.start();
  const auto slip = ok(d, {{"cmd", "slip.print"}, {"counter", "desk"}, {"actor", "web:lan"}}).as_object();
  ok(d, {{"cmd", "slip.reprint"}, {"number", slip.at("slip")}, {"actor", "web:lan"}});
  ok(d, {{"cmd", "printer.test"}, {"counter", "desk"}, {"actor", "web:sup"}});
  ok(d, {{"cmd", "poster.print"}, {"counter", "desk"}, {"actor", "web:sup"}});
  ok(d, {{"cmd", "card.print"}, {"counter", "desk"}});  // ravaoctl's way: the peer's own user
  BOOST_TEST_REQUIRE(eventually([&] { return printed(d).size() == 5; }), d.log());

  // On the gateway: the blank slip's slip_issued, then one action per print-only command.
  const json::array events = d.ctl({"events"}).as_array();
  BOOST_TEST_REQUIRE(events.size() == 5u, json::serialize(events));
  BOOST_TEST(as_str(events[0].at("type")) == "slip_issued");
  BOOST_TEST(as_str(events[0].at("actor")) == "web:lan");
  const struct passwd* me = ::getpwuid(::getuid());
  BOOST_TEST_REQUIRE(me != nullptr);
  const std::vector<std::pair<std::string, std::string>> expected{
      {"slip.reprint", "web:lan"}, {"printer.test", "web:sup"}, {"poster.print", "web:sup"},
      {"card.print", std::string("unix:") + me->pw_name}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& e = events[i + 1].as_object();
    BOOST_TEST(as_str(e.at("type")) == "action");
    BOOST_TEST(as_str(e.at("action")) == expected[i].first);
    BOOST_TEST(as_str(e.at("actor")) == expected[i].second);
    BOOST_TEST(as_str(e.at("printer")) == "p1");
    BOOST_TEST(as_str(e.at("counter")) == "desk");
  }
  BOOST_TEST(!as_str(events[1].at("payload")).empty());  // the slip's printed number
  BOOST_TEST(events[1].at("ref").as_int64() == events[0].at("ref").as_int64());  // its sequence, as slip_issued

  // At the province: the same five, with their actors.
  BOOST_TEST_REQUIRE(eventually([&] { return r.records("bd-test").size() == 5u; }), d.log() + r.log());
  const auto stored = r.records("bd-test");
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& rec = stored[i + 1].as_object();
    BOOST_TEST(as_str(rec.at("type")) == "action");
    BOOST_TEST(as_str(rec.at("action")) == expected[i].first);
    BOOST_TEST(as_str(rec.at("actor")) == expected[i].second);
  }
  BOOST_TEST(d.ctl({"sync"}).at("held").as_int64() == 0);
}

BOOST_AUTO_TEST_CASE(ravaoctl_checks_out_undoes_prints_the_poster_and_sums_up) {
  daemon_under_test d{desk_config(fmt::format("checkin_qr = \"{}\"", checkin))};
  fake_serial_scanner desk{d.dir() / "tty-desk"};
  d.start();
  BOOST_TEST_REQUIRE(wait_state(d, "desk", "online"));
  desk.send(cccd_payload("079203004545", "Lê Thị Hoa", "01012003", "Nữ") + "\r\n");
  BOOST_TEST_REQUIRE(wait_records(d, 1), d.log());
  const auto visit = d.ctl({"events"}).as_array().at(0).at("visit").as_int64();

  const auto out = d.ctl_raw({"visit", "checkout", "--counter", "desk", "--visit", std::to_string(visit)});
  BOOST_TEST(out.code == 0, out.err);
  BOOST_TEST(out.out.find(fmt::format("visit closed: visit {}", visit)) != std::string::npos, out.out);
  // Nothing open now: said in words, exit 0.
  const auto again = d.ctl_raw({"visit", "checkout", "--counter", "desk"});
  BOOST_TEST(again.code == 0, again.err);
  BOOST_TEST(again.out.find("no open visit") != std::string::npos, again.out);

  desk.send(cccd_payload("079203001111", "Phạm Văn Nam", "02021990", "Nam") + "\r\n");
  BOOST_TEST_REQUIRE(wait_records(d, 3), d.log());
  const auto undone = d.ctl({"visit", "undo", "--counter", "desk"}).as_object();
  BOOST_TEST(undone.at("seq").as_int64() > 0, json::serialize(undone));

  const auto poster = d.ctl_raw({"poster", "print", "--counter", "desk"});
  BOOST_TEST(poster.code == 0, poster.err);
  BOOST_TEST(poster.out.find("queued on printer p1") != std::string::npos, poster.out);
  BOOST_TEST_REQUIRE(eventually([&] { return printed(d).size() == 1; }), d.log());
  // The poster's action record, shown by events with its actor.
  const auto events = d.ctl_raw({"events"});
  BOOST_TEST(events.out.find("poster.print") != std::string::npos, events.out);
  BOOST_TEST(events.out.find("ACTOR") != std::string::npos, events.out);

  const auto sum = d.ctl_raw({"summary", "--days", "2"});
  BOOST_TEST(sum.code == 0, sum.err);
  BOOST_TEST(sum.out.find("CHECKOUTS") != std::string::npos, sum.out);
  BOOST_TEST(sum.out.find("today by hour:") != std::string::npos, sum.out);
  BOOST_TEST(d.ctl({"summary"}).at("days").as_array().size() == 7u);

  // Usage errors (exit 2): a missing counter, options of other commands, bad numbers.
  BOOST_TEST(d.ctl_raw({"visit", "checkout"}).code == 2);
  BOOST_TEST(d.ctl_raw({"visit", "undo", "--counter", "desk", "--visit", "3"}).code == 2);
  BOOST_TEST(d.ctl_raw({"visit", "close", "--counter", "desk"}).code == 2);
  BOOST_TEST(d.ctl_raw({"poster", "print"}).code == 2);
  BOOST_TEST(d.ctl_raw({"summary", "--days", "0"}).code == 2);
  BOOST_TEST(d.ctl_raw({"summary", "--counter", "desk"}).code == 2);
  // The daemon's own limit, in words (exit 1).
  BOOST_TEST(d.ctl_raw({"summary", "--days", "32"}).code == 1);
}
