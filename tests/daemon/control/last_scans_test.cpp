// The clear fields of a counter's last identity scan: what is kept, for
// whom, and that it goes (by its timer, when replaced, forgotten, cleared).

#include <boost/test/unit_test.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "control/last_scans.hpp"
#include "payload/classify.hpp"

using ravao::control::last_scans;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

const std::string card =
    "001099012345||Nguyễn Văn An|02011990|Nam|Thôn 3, Xã Ia Kênh, Gia Lai|15082021";

std::string field(const json::value& v, std::string_view name) {
  return std::string(v.at("fields").at(name).as_string());
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_cccd_scan_is_kept_with_the_declaration_field_names) {
  boost::asio::io_context io;
  last_scans memory(io.get_executor());
  memory.remember("quay-1", ravao::classify(card), "2026-12-04 10:00:00", 311);
  const json::value v = memory.find("quay-1");
  BOOST_TEST_REQUIRE(v.is_object());
  BOOST_TEST(v.at("counter").as_string() == "quay-1");
  BOOST_TEST(v.at("kind").as_string() == "cccd");
  BOOST_TEST(v.at("time").as_string() == "2026-12-04 10:00:00");
  BOOST_TEST(v.at("visit").as_int64() == 311);
  BOOST_TEST(field(v, "name") == "Nguyễn Văn An");
  BOOST_TEST(field(v, "birth") == "1990-01-02");
  BOOST_TEST(field(v, "sex") == "male");
  BOOST_TEST(field(v, "id") == "001099012345");
  BOOST_TEST(field(v, "address") == "Thôn 3, Xã Ia Kênh, Gia Lai");
  BOOST_TEST(field(v, "nationality") == "Việt Nam");
  BOOST_TEST(v.at("fields").as_object().size() == 6u);
  BOOST_TEST(memory.find("quay-2").is_null());
}

BOOST_AUTO_TEST_CASE(a_personal_qr_lacks_what_the_code_does_not_carry) {
  boost::asio::io_context io;
  last_scans memory(io.get_executor());
  memory.remember("quay-1", ravao::classify("001099012345|NGUYEN VAN AN|1990-01-02|0|QID|"), "t", 5);
  const json::value v = memory.find("quay-1");
  BOOST_TEST_REQUIRE(v.is_object());
  BOOST_TEST(v.at("kind").as_string() == "personal_qr");
  BOOST_TEST(field(v, "name") == "NGUYEN VAN AN");
  BOOST_TEST(field(v, "birth") == "1990-01-02");
  BOOST_TEST(!v.at("fields").as_object().contains("sex"));
  BOOST_TEST(!v.at("fields").as_object().contains("address"));
  BOOST_TEST(!v.at("fields").as_object().contains("nationality"));
}

BOOST_AUTO_TEST_CASE(scans_without_a_person_are_not_kept_and_leave_the_last_one) {
  boost::asio::io_context io;
  last_scans memory(io.get_executor());
  memory.remember("quay-1", ravao::classify(card), "t", 1);
  memory.remember("quay-1", ravao::classify("https://example.invalid/menu"), "t", 2);
  memory.remember("quay-1", ravao::classify("RAVAO:CMD:PRINT_SLIP"), "t", 0);
  BOOST_TEST(memory.find("quay-1").at("visit").as_int64() == 1);
  BOOST_TEST(memory.size() == 1u);
}

BOOST_AUTO_TEST_CASE(the_newest_scan_replaces_the_older_one_per_counter) {
  boost::asio::io_context io;
  last_scans memory(io.get_executor());
  memory.remember("quay-1", ravao::classify(card), "t1", 1);
  memory.remember("quay-2", ravao::classify(card), "t2", 2);
  memory.remember("quay-1",
                  ravao::classify("079088001122||Trần Thị Bình|03031988|Nữ|Phường Bến Nghé, TP. Hồ Chí Minh|01012022"),
                  "t3", 3);
  BOOST_TEST(memory.size() == 2u);
  BOOST_TEST(field(memory.find("quay-1"), "name") == "Trần Thị Bình");
  BOOST_TEST(field(memory.find("quay-1"), "sex") == "female");
  BOOST_TEST(field(memory.find("quay-2"), "name") == "Nguyễn Văn An");
}

BOOST_AUTO_TEST_CASE(forget_and_clear_drop_the_scans) {
  boost::asio::io_context io;
  last_scans memory(io.get_executor());
  memory.remember("quay-1", ravao::classify(card), "t", 1);
  memory.remember("quay-2", ravao::classify(card), "t", 2);
  memory.forget("quay-1");
  BOOST_TEST(memory.find("quay-1").is_null());
  BOOST_TEST(memory.find("quay-2").is_object());
  memory.clear();
  BOOST_TEST(memory.find("quay-2").is_null());
  BOOST_TEST(memory.size() == 0u);
}

BOOST_AUTO_TEST_CASE(the_timer_wipes_a_scan_once_it_is_older_than_the_limit) {
  boost::asio::io_context io;
  last_scans memory(io.get_executor(), 20ms);
  memory.remember("quay-1", ravao::classify(card), "t", 1);
  BOOST_TEST(memory.size() == 1u);
  // The timer is the only work: run() returns once it has fired (deadline: run_for).
  io.run_for(10s);
  BOOST_TEST(io.stopped());
  BOOST_TEST(memory.size() == 0u);
  BOOST_TEST(memory.find("quay-1").is_null());
}

BOOST_AUTO_TEST_CASE(a_scan_past_the_limit_is_not_shown_even_before_its_timer_ran) {
  boost::asio::io_context io;
  last_scans memory(io.get_executor(), 0ms);
  memory.remember("quay-1", ravao::classify(card), "t", 1);
  BOOST_TEST(memory.find("quay-1").is_null());
}
