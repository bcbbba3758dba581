#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "slip/slip_number.hpp"

namespace slip = ravao::slip;

namespace {
// The parsed sequence number, -1 for nullopt (printable in test messages).
std::int64_t parse(std::string_view text) { return slip::parse_slip_number(text).value_or(-1); }
}  // namespace

BOOST_AUTO_TEST_CASE(known_damm_check_digits) {
  // The worked example of the algorithm's publications: 572 -> 4.
  BOOST_TEST(slip::damm_check_digit("572") == 4);
  BOOST_TEST(slip::damm_check_digit("5724") == 0);
  BOOST_TEST(slip::damm_check_digit("") == 0);
  BOOST_TEST(slip::damm_check_digit("0") == 0);
  BOOST_TEST(slip::damm_check_digit("1") == 3);
  BOOST_TEST(slip::damm_check_digit("17") == 4);
  BOOST_TEST(slip::damm_check_digit("00017") == 4);  // leading zeros change nothing
  BOOST_TEST(slip::damm_check_digit("12a") == -1);
}

BOOST_AUTO_TEST_CASE(format_pads_to_five_digits_and_appends_the_check) {
  BOOST_TEST(slip::format_slip_number(17) == "000174");
  BOOST_TEST(slip::format_slip_number(1) == "000013");
  BOOST_TEST(slip::format_slip_number(572) == "005724");
  BOOST_TEST(slip::format_slip_number(99999).size() == 6u);
  BOOST_TEST(slip::format_slip_number(100000).size() == 7u);
  BOOST_TEST(slip::format_slip_number(slip::max_slip_sequence) ==
             "999999999999999" + std::to_string(slip::damm_check_digit("999999999999999")));
  BOOST_TEST(slip::format_slip_number(slip::max_slip_sequence).size() == 16u);
  BOOST_TEST(slip::format_slip_number(0).empty());
  BOOST_TEST(slip::format_slip_number(-5).empty());
  BOOST_TEST(slip::format_slip_number(slip::max_slip_sequence + 1).empty());
}

BOOST_AUTO_TEST_CASE(display_form_and_qr_text) {
  BOOST_TEST(slip::display_slip_number("000174") == "00017-4");
  BOOST_TEST(slip::display_slip_number("1234567") == "123456-7");
  BOOST_TEST(slip::display_slip_number("") == "");
  BOOST_TEST(slip::slip_qr_text("000174") == "RAVAO:SLIP:000174");
}

BOOST_AUTO_TEST_CASE(every_number_round_trips) {
  for (const std::int64_t seq : {std::int64_t{1}, std::int64_t{9}, std::int64_t{10}, std::int64_t{17},
                                 std::int64_t{99999}, std::int64_t{100000}, std::int64_t{123456789},
                                 slip::max_slip_sequence}) {
    const std::string n = slip::format_slip_number(seq);
    BOOST_TEST_CONTEXT(seq) {
      BOOST_TEST(slip::damm_check_digit(n) == 0);
      BOOST_TEST(parse(n) == seq);
      BOOST_TEST(parse(slip::display_slip_number(n)) == seq);
    }
  }
  for (std::int64_t seq = 1; seq <= 20000; ++seq) {
    BOOST_REQUIRE(parse(slip::format_slip_number(seq)) == seq);
  }
}

BOOST_AUTO_TEST_CASE(parse_accepts_what_people_type) {
  BOOST_TEST(parse("00017-4") == 17);
  BOOST_TEST(parse("000174") == 17);
  BOOST_TEST(parse("000 17-4") == 17);
  BOOST_TEST(parse(" 00017 - 4 ") == 17);
  BOOST_TEST(parse("17-4") == 17);      // leading zeros left out
  BOOST_TEST(parse("0000174") == 17);   // or one too many
}

BOOST_AUTO_TEST_CASE(parse_rejects_bad_checks_and_ranges) {
  for (const char* bad : {"", "-", "  ", "4", "0", "000000", "00000-0", "00017-1", "00017-5", "000147",
                          "00017x4", "RAVAO:SLIP:000174", "00017_4", "00017.4", "０００１７４",
                          "99999999999999999",     // 17 digits
                          "1000000000000000-0"}) {  // sequence 10^15: out of range
    BOOST_TEST_CONTEXT(bad) { BOOST_TEST(!slip::parse_slip_number(bad)); }
  }
  // 10^15 would need 16 sequence digits, whatever its check digit.
  for (char check = '0'; check <= '9'; ++check) {
    BOOST_TEST(!slip::parse_slip_number("1000000000000000" + std::string(1, check)));
  }
}

BOOST_AUTO_TEST_CASE(every_single_digit_error_and_adjacent_swap_is_caught) {
  for (const std::int64_t seq : {std::int64_t{1}, std::int64_t{17}, std::int64_t{4711}, std::int64_t{80808},
                                 std::int64_t{123456}, std::int64_t{9876543210}, slip::max_slip_sequence}) {
    const std::string n = slip::format_slip_number(seq);
    for (std::size_t i = 0; i < n.size(); ++i) {
      for (char d = '0'; d <= '9'; ++d) {
        if (d == n[i]) continue;
        std::string typo = n;
        typo[i] = d;
        BOOST_TEST_CONTEXT(n << " -> " << typo) {
          BOOST_TEST(slip::damm_check_digit(typo) != 0);
          BOOST_TEST(!slip::parse_slip_number(typo));
        }
      }
      if (i + 1 < n.size() && n[i] != n[i + 1]) {
        std::string swapped = n;
        std::swap(swapped[i], swapped[i + 1]);
        BOOST_TEST_CONTEXT(n << " -> " << swapped) { BOOST_TEST(!slip::parse_slip_number(swapped)); }
      }
    }
  }
}
