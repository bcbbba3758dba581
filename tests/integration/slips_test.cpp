// End to end: declaration slips printed by ravaod on real transports (a raw
// TCP printer on loopback, a printer on a pseudo-terminal, a file folder),
// read back with the test-side ESC/POS decoder and libzbar.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <thread>

#include <sqlite3.h>

#include <fmt/format.h>

#include "integration/common.hpp"
#include "support/escpos_decoder.hpp"
#include "support/fake_printer.hpp"
#include "support/zbar_scan.hpp"

using namespace ravao::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

std::vector<std::uint8_t> file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<std::filesystem::path> files_with(const std::filesystem::path& dir, std::string_view ext) {
  std::vector<std::filesystem::path> out;
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ext) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// A listing by value (a range-for over ctl(...).as_array() would outlive its value).
json::array list(const daemon_under_test& d, const std::vector<std::string>& args) { return d.ctl(args).as_array(); }

json::array jobs(const daemon_under_test& d) { return list(d, {"jobs"}); }

std::string job_state(const daemon_under_test& d, std::int64_t id) {
  for (const auto& j : jobs(d))
    if (j.at("id").as_int64() == id) return as_str(j.at("state"));
  return "missing";
}

// The slip number without its dash: what the QR code carries.
std::string qr_number(std::string display) {
  std::erase(display, '-');
  return display;
}

}  // namespace

BOOST_AUTO_TEST_CASE(tcp_printer_paper_out_holds_the_job_then_prints_it_once) {
  fake_tcp_printer printer;
  printer.set_condition({.paper_out = true});
  daemon_under_test d{desk_printer_config(fmt::format("[[printer]]\nid = \"p1\"\nkind = \"tcp\"\naddress = \"{}\"\n",
                                              printer.address()))};
  fake_serial_scanner desk{d.dir() / "tty-desk"};
  d.start();
  BOOST_TEST_REQUIRE(printer.wait_for_connections(1));
  const auto printed = d.ctl({"slip", "print", "--counter", "desk"}).as_object();
  const std::string number = as_str(printed.at("slip"));
  const std::int64_t job = printed.at("job").as_int64();
  // Held: the printer said paper out, nothing but status requests was sent.
  BOOST_TEST_REQUIRE(eventually([&] { return d.count_log("print.held") >= 1; }));
  BOOST_TEST(eventually([&] {
    for (const auto& dev : list(d, {"devices"}))
      if (dev.at("id").as_string() == "p1") return as_str(dev.at("paper")) == "paper_out";
    return false;
  }));
  BOOST_TEST(d.count_log("printer.status") >= 1);
  const auto asked = printer.status_requests();
  // Two more polls (DLE EOT 1, 2, 4 each) while held, and still nothing printed.
  BOOST_TEST_REQUIRE(eventually([&] { return printer.status_requests() >= asked + 6; }));
  BOOST_TEST(printer.jobs().empty());
  BOOST_TEST(printer.bytes_while_not_ready() == 0u);
  BOOST_TEST(job_state(d, job) == "queued");

  printer.set_condition({});  // paper loaded
  BOOST_TEST_REQUIRE(printer.wait_for_jobs(1));
  BOOST_TEST(eventually([&] { return job_state(d, job) == "printed"; }));
  std::this_thread::sleep_for(1500ms);  // nothing more comes
  const auto out = printer.jobs();
  BOOST_TEST_REQUIRE(out.size() == 1u);
  BOOST_TEST(printer.violations().empty());
  BOOST_TEST(printer.bytes_while_not_ready() == 0u);
  BOOST_TEST(out[0].image.width == 576);
  const auto codes = zbar_scan(out[0].image);
  BOOST_TEST_REQUIRE(codes.size() == 1u);
  BOOST_TEST(codes[0] == "RAVAO:SLIP:" + qr_number(number));
  BOOST_TEST(d.count_log("print.printed") == 1u);
  // The slip is a record in the upload log.
  bool issued = false;
  for (const auto& e : list(d, {"events"})) issued |= as_str(e.at("type")) == "slip_issued";
  BOOST_TEST(issued);
}

BOOST_AUTO_TEST_CASE(job_queued_across_a_restart_prints_once) {
  fake_tcp_printer printer;
  printer.stop_listening();  // the printer is switched off
  daemon_under_test d{desk_printer_config(fmt::format("[[printer]]\nid = \"p1\"\nkind = \"tcp\"\naddress = \"{}\"\n",
                                              printer.address()))};
  fake_serial_scanner desk{d.dir() / "tty-desk"};
  d.start();
  const auto printed = d.ctl({"slip", "print", "--counter", "desk"}).as_object();
  const std::int64_t job = printed.at("job").as_int64();
  const std::string number = as_str(printed.at("slip"));
  BOOST_TEST(job_state(d, job) == "queued");
  d.stop();
  printer.start_listening();
  d.start();
  BOOST_TEST_REQUIRE(printer.wait_for_jobs(1, 60s));
  BOOST_TEST(eventually([&] { return job_state(d, job) == "printed"; }));
  std::this_thread::sleep_for(1500ms);
  BOOST_TEST(printer.jobs().size() == 1u);
  const auto codes = zbar_scan(printer.jobs()[0].image);
  BOOST_TEST_REQUIRE(codes.size() == 1u);
  BOOST_TEST(codes[0] == "RAVAO:SLIP:" + qr_number(number));
  // The next slip gets the next number: numbers survive restarts.
  const auto next = d.ctl({"slip", "print", "--counter", "desk"}).as_object();
  BOOST_TEST(as_str(next.at("slip")) != number);
}

BOOST_AUTO_TEST_CASE(serial_printer_on_a_pty_prints_the_command_card) {
  daemon_under_test d{desk_printer_config(
      "[[printer]]\nid = \"p1\"\nkind = \"serial\"\ndevice = \"{dir}/tty-printer\"\npaper_width_mm = 58\n")};
  fake_serial_scanner desk{d.dir() / "tty-desk"};
  fake_pty_printer printer{d.dir() / "tty-printer"};
  d.start();
  d.ctl({"card", "print", "--counter", "desk"});
  BOOST_TEST_REQUIRE(printer.wait_for_jobs(1));
  const auto out = printer.jobs();
  BOOST_TEST(printer.violations().empty());
  BOOST_TEST(out[0].image.width == 384);
  auto codes = zbar_scan(out[0].image);
  std::sort(codes.begin(), codes.end());
  const std::vector<std::string> expected = {"RAVAO:CMD:CHECKOUT_LAST:desk", "RAVAO:CMD:PRINTER_TEST:desk",
                                             "RAVAO:CMD:PRINT_SLIP:desk", "RAVAO:CMD:UNDO_LAST:desk"};
  BOOST_TEST(codes == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(scanned_command_prints_a_slip_for_the_visitor_and_the_returned_slip_links_to_the_visit) {
  daemon_under_test d{desk_printer_config("[[printer]]\nid = \"p1\"\nkind = \"file\"\npath = \"{dir}/slips\"\n",
                                  "\n[slips]\npreprint = \"masked\"\n")};
  fake_serial_scanner desk{d.dir() / "tty-desk"};
  d.start();
  BOOST_TEST_REQUIRE(wait_state(d, "desk", "online"));
  // A name carrying ESC/POS commands made of the separators the frame policy
  // lets through as data (GS, FS, EOT: GS V 1 cuts, FS . leaves Chinese mode,
  // GS ( k is native QR): only pixels of it may reach the printer.
  const std::string hostile = "Lê Thị \x1dV1\x1c.\x1d(k\x04 GS V B Hoa";
  desk.send(cccd_payload("079203004545", hostile, "01012003", "Nữ") + "\r\n");
  BOOST_TEST_REQUIRE(wait_records(d, 1), d.log());
  desk.send("RAVAO:CMD:PRINT_SLIP\r\n");
  const auto dir = d.dir() / "slips";
  BOOST_TEST_REQUIRE(eventually([&] { return files_with(dir, ".bin").size() == 1; }));
  BOOST_TEST_REQUIRE(eventually([&] { return files_with(dir, ".png").size() == 1; }));
  const auto bytes = file_bytes(files_with(dir, ".bin")[0]);
  auto decoded = decode_escpos(bytes);  // strict: any byte we do not emit fails
  BOOST_TEST_REQUIRE(decoded.has_value(), (decoded ? "" : decoded.error().message()));
  BOOST_TEST_REQUIRE(decoded->pages.size() == 1u);
  const std::string stream(bytes.begin(), bytes.end());
  for (std::string_view piece : {std::string_view(hostile), std::string_view("\x1dV1\x1c."),
                                 std::string_view("\x1d(k\x04"), std::string_view("079203004545")})
    BOOST_TEST(stream.find(piece) == std::string::npos, "payload bytes in the printer stream: " << piece);
  const auto codes = zbar_scan(decoded->pages[0]);
  BOOST_TEST_REQUIRE(codes.size() == 1u);
  BOOST_TEST_REQUIRE(codes[0].starts_with("RAVAO:SLIP:"));
  const std::string number = codes[0].substr(11);

  // The slip belongs to the visit just scanned, with the identity pre-printed.
  auto events = list(d, {"events"});
  BOOST_TEST_REQUIRE(events.size() >= 3u);  // visit_opened, command, slip_issued
  std::int64_t visit = 0, issued_visit = -1;
  for (const auto& e : events) {
    if (as_str(e.at("type")) == "visit_opened") visit = e.at("visit").as_int64();
    if (as_str(e.at("type")) == "slip_issued") issued_visit = e.at("visit").as_int64();
  }
  BOOST_TEST(visit != 0);
  BOOST_TEST(issued_visit == visit);
  // The ID number never appears in clear in the log or the job list.
  BOOST_TEST(d.log().find("079203004545") == std::string::npos);
  BOOST_TEST(json::serialize(jobs(d)).find("079203004545") == std::string::npos);

  // The visitor hands the filled slip back: its QR is scanned.
  desk.send("RAVAO:SLIP:" + number + "\r\n");
  BOOST_TEST_REQUIRE(eventually([&] { return d.count_log("slip.returned") == 1; }));
  std::int64_t returned_visit = -1;
  for (const auto& e : list(d, {"events"}))
    if (as_str(e.at("type")) == "slip_returned") returned_visit = e.at("visit").as_int64();
  BOOST_TEST(returned_visit == visit);
  // A slip number with a wrong check digit is recorded as a scan, flagged.
  std::string wrong = number;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  desk.send("RAVAO:SLIP:" + wrong + "\r\n");
  BOOST_TEST(eventually([&] {
    for (const auto& e : list(d, {"events"}))
      if (as_str(e.at("flags")).find("bad_slip_check_digit") != std::string::npos) return true;
    return false;
  }));

  // Reprint, then a proxy declaration for that slip.
  d.ctl({"slip", "reprint", number});
  BOOST_TEST(eventually([&] { return files_with(dir, ".bin").size() == 2; }));
  const auto declared = d.ctl({"declare", "--slip", number, "name=Lê Thị Hoa", "birth=01/01/2003", "sex=nữ",
                               "phone=+84 912 345 678", "fever=không", "cough=không", "contact=không",
                               "travel=có"}).as_object();
  BOOST_TEST(declared.at("visit").as_int64() == visit);
  bool found = false;
  for (const auto& e : list(d, {"events"}))
    found |= as_str(e.at("type")) == "declaration" && e.at("visit").as_int64() == visit;
  BOOST_TEST(found);
  // Invalid fields: refused with every problem named, nothing recorded.
  const auto before = d.ctl({"events", "--limit", "100000"}).as_array().size();
  const auto bad = d.ctl_raw({"declare", "--slip", number, "name=X", "phone=12345", "birth=31/02/2001"});
  BOOST_TEST(bad.code == 1);
  BOOST_TEST(bad.err.find("phone") != std::string::npos);
  BOOST_TEST(bad.err.find("birth") != std::string::npos);
  BOOST_TEST(d.ctl({"events", "--limit", "100000"}).as_array().size() == before);
}

BOOST_AUTO_TEST_CASE(preview_draws_without_printing) {
  daemon_under_test d{desk_printer_config("[[printer]]\nid = \"p1\"\nkind = \"file\"\npath = \"{dir}/slips\"\n")};
  fake_serial_scanner desk{d.dir() / "tty-desk"};
  d.start();
  const auto out = d.dir() / "preview.png";
  const auto r = d.ctl_raw({"slip", "preview", "--out", out.string(), "--counter", "desk"});
  BOOST_TEST_REQUIRE(r.code == 0, r.err);
  BOOST_TEST(std::filesystem::file_size(out) > 1000u);
  BOOST_TEST(files_with(d.dir() / "slips", ".bin").empty());
  BOOST_TEST(jobs(d).empty());
}

// Regression: a `ravaoctl slip print` that timed out while the store was
// stalled used to leave its work queued with references to the request's
// dead locals; when the store came back, the work ran anyway (a
// use-after-free) and printed a slip the client had been told had failed.
BOOST_AUTO_TEST_CASE(a_slip_refused_while_the_store_is_locked_is_never_printed_later) {
  daemon_under_test d{desk_printer_config("[[printer]]\nid = \"p1\"\nkind = \"file\"\npath = \"{dir}/slips\"\n")};
  fake_serial_scanner desk{d.dir() / "tty-desk"};
  d.start();
  BOOST_TEST_REQUIRE(wait_state(d, "desk", "online"), d.log());
  // Another connection holds the write lock: the scan's commit fails and is
  // retried, and the slip's store work waits behind it.
  sqlite3* other = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_open(d.store_path().c_str(), &other) == SQLITE_OK);
  BOOST_TEST_REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  desk.send(cccd_payload("001090012345") + "\r");
  BOOST_TEST_REQUIRE(eventually([&] { return !d.ctl({"status"}).at("store").at("available").as_bool(); }), d.log());
  const auto refused = d.ctl_raw({"slip", "print", "--counter", "desk"});
  BOOST_TEST(refused.code != 0);
  BOOST_TEST(refused.err.find("the store did not answer within 10 s; nothing was done") != std::string::npos,
             refused.err);
  // The store comes back: the scan is committed, the slip is not issued.
  BOOST_TEST_REQUIRE(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(other);
  BOOST_TEST_REQUIRE(wait_records(d, 1), d.log());
  BOOST_TEST_REQUIRE(eventually([&] { return d.ctl({"status"}).at("store").at("available").as_bool(); }), d.log());
  // A slip asked for now is queued behind everything the writer had: once
  // it is issued, the refused one would have been too.
  const auto next = d.ctl({"slip", "print", "--counter", "desk"}).as_object();
  const auto all = jobs(d);
  BOOST_TEST_REQUIRE(all.size() == 1u);
  BOOST_TEST(all[0].at("id").as_int64() == next.at("job").as_int64());
  BOOST_TEST(d.log().find("slip.issued") == d.log().rfind("slip.issued"));  // one slip.issued line
}
