// The alarm catalogue: every code has a stable name and Vietnamese text for
// counter staff (what happened, what to do).

#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

#include <boost/json.hpp>

#include "alarms.hpp"

using namespace ravao;

namespace {

// Vietnamese needs letters outside ASCII (ă, ê, ơ, ư, đ and the tone marks):
// a text without any is English or has lost its diacritics.
bool has_non_ascii(std::string_view s) {
  for (const char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_alarm_code_has_a_unique_dotted_name) {
  std::set<std::string_view> names;
  BOOST_TEST(!all_alarm_codes().empty());
  for (const auto c : all_alarm_codes()) {
    const auto name = to_string(c);
    BOOST_TEST(name.find('.') != std::string_view::npos, name);
    BOOST_TEST(name.find(' ') == std::string_view::npos, name);
    BOOST_TEST(names.insert(name).second, "twice: " << name);
  }
}

BOOST_AUTO_TEST_CASE(every_alarm_code_has_a_vietnamese_message_and_action) {
  for (const auto c : all_alarm_codes()) {
    const auto t = staff_text(c);
    BOOST_TEST(!t.message.empty(), to_string(c));
    BOOST_TEST(!t.action.empty(), to_string(c));
    BOOST_TEST(has_non_ascii(t.message), to_string(c) << ": " << t.message);
    BOOST_TEST(has_non_ascii(t.action), to_string(c) << ": " << t.action);
    // Shown as "message: action." on the pages: neither ends the sentence.
    BOOST_TEST(t.message.back() != '.', to_string(c));
    BOOST_TEST(t.action.back() != '.', to_string(c));
    BOOST_TEST(t.message.find(':') == std::string_view::npos, to_string(c) << ": the colon before the action");
  }
}

BOOST_AUTO_TEST_CASE(paper_out_reads_as_the_counter_page_says_it) {
  const auto t = staff_text(alarm_code::printer_paper_out);
  BOOST_TEST(std::string(t.message) + ": " + std::string(t.action) == "Máy in hết giấy: thay cuộn giấy");
}

BOOST_AUTO_TEST_CASE(an_alarm_in_json_carries_its_code_both_texts_and_where) {
  const auto o = to_json(status_alarm{alarm_code::printer_cover_open, "printer p1 reports cover open", "p1", "desk"});
  BOOST_TEST(o.at("code").as_string() == "printer.cover_open");
  BOOST_TEST(o.at("message").as_string() == "printer p1 reports cover open");
  BOOST_TEST(o.at("device").as_string() == "p1");
  BOOST_TEST(o.at("counter").as_string() == "desk");
  BOOST_TEST(o.at("message_vi").as_string() == "Nắp máy in đang mở");
  BOOST_TEST(o.at("action_vi").as_string() == "đóng nắp lại");
}
