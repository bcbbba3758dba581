#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "common/text.hpp"
#include "payload/classify.hpp"
#include "payload/formats.hpp"

using ravao::civil_date;
using ravao::classify;
using ravao::payload_kind;
using ravao::sex;

namespace {

const std::string address = "12 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội";
// 4th digit 0: 1900s, male; digits 5-6: 99.
const std::string cccd7 =
    "001099012345|123456789|Nguyễn Văn An|01021999|Nam|" + address + "|15082021";
// 4th digit 3: 2000s, female; digits 5-6: 03.
const std::string cccd6 = "079303001234|Trần Thị Bích|15062003|Nữ|" + address + "|20012022";

std::string cccd7_with(const std::string& birth, const std::string& sex_field) {
  return "001099012345|123456789|Nguyễn Văn An|" + birth + "|" + sex_field + "|" + address +
         "|15082021";
}

std::string str(payload_kind k) { return std::string(ravao::to_string(k)); }

}  // namespace

BOOST_AUTO_TEST_CASE(cccd_seven_field_form) {
  const auto p = classify(cccd7);
  BOOST_TEST(str(p.kind) == "cccd");
  BOOST_TEST(p.text == cccd7);
  BOOST_TEST(p.flags.empty());
  BOOST_REQUIRE(p.who.has_value());
  BOOST_TEST(p.who->id_number == "001099012345");
  BOOST_TEST(p.who->old_id_number == "123456789");
  BOOST_TEST(p.who->full_name == "Nguyễn Văn An");
  BOOST_TEST((p.who->birth_date == civil_date{1999, 2, 1}));
  BOOST_TEST((p.who->sex_ == sex::male));
  BOOST_TEST(p.who->address == address);
  BOOST_TEST((p.who->issue_date == civil_date{2021, 8, 15}));
}

BOOST_AUTO_TEST_CASE(cccd_six_field_form) {
  const auto p = classify(cccd6);
  BOOST_TEST(str(p.kind) == "cccd");
  BOOST_TEST(p.flags.empty());
  BOOST_REQUIRE(p.who.has_value());
  BOOST_TEST(p.who->id_number == "079303001234");
  BOOST_TEST(p.who->old_id_number == "");
  BOOST_TEST(p.who->full_name == "Trần Thị Bích");
  BOOST_TEST((p.who->birth_date == civil_date{2003, 6, 15}));
  BOOST_TEST((p.who->sex_ == sex::female));
  BOOST_TEST(p.who->address == address);
  BOOST_TEST((p.who->issue_date == civil_date{2022, 1, 20}));
}

BOOST_AUTO_TEST_CASE(cccd_old_id_variants) {
  const auto twelve = classify("001099012345|001099000111|An|01021999|Nam|x|15082021");
  BOOST_REQUIRE(twelve.who.has_value());
  BOOST_TEST(twelve.who->old_id_number == "001099000111");
  const auto empty = classify("001099012345||An|01021999|Nam|x|15082021");
  BOOST_REQUIRE(empty.who.has_value());
  BOOST_TEST(str(empty.kind) == "cccd");
  BOOST_TEST(empty.who->old_id_number == "");
  BOOST_TEST(empty.flags.empty());
  const auto junk = classify("001099012345|12AB|An|01021999|Nam|x|15082021");
  BOOST_TEST(str(junk.kind) == "cccd");
  BOOST_TEST(junk.who->old_id_number == "");
  BOOST_TEST(junk.has_flag("invalid_old_id"));
}

BOOST_AUTO_TEST_CASE(cccd_dates_with_slashes) {
  const auto p = classify("079303001234|Trần Thị Bích|15/06/2003|Nữ|x|20/01/2022");
  BOOST_TEST(str(p.kind) == "cccd");
  BOOST_TEST(p.has_flag("date_slashes"));
  BOOST_TEST(p.flags.size() == 1u);
  BOOST_TEST((p.who->birth_date == civil_date{2003, 6, 15}));
  BOOST_TEST((p.who->issue_date == civil_date{2022, 1, 20}));
  // Mixed: only one date with slashes still flags it.
  const auto mixed = classify("079303001234|B|15062003|Nữ|x|20/01/2022");
  BOOST_TEST(mixed.has_flag("date_slashes"));
  BOOST_TEST((mixed.who->birth_date == civil_date{2003, 6, 15}));
}

BOOST_AUTO_TEST_CASE(cccd_bom_and_line_endings) {
  const auto p = classify("\xEF\xBB\xBF" + cccd7 + "\r\n");
  BOOST_TEST(str(p.kind) == "cccd");
  BOOST_TEST(p.text == cccd7);
  BOOST_TEST(p.has_flag("bom"));
  BOOST_TEST(p.flags.size() == 1u);
  BOOST_TEST(classify(cccd6 + "\n").text == cccd6);
  BOOST_TEST(classify(cccd6 + "\r").text == cccd6);
  BOOST_TEST(classify(cccd6 + "\r\n\r\n").text == cccd6);
}

BOOST_AUTO_TEST_CASE(cccd_nfd_input_is_normalised) {
  const std::string nfd = "079303001234|Tra\u0302\u0300n Thi\u0323 Bi\u0301ch|15062003|"
                          "Nu\u031B\u0303|Ha\u0300 No\u0323\u0302i|20012022";
  const auto p = classify(nfd);
  BOOST_TEST(str(p.kind) == "cccd");
  BOOST_TEST(p.has_flag("nfd_input"));
  BOOST_TEST(ravao::text::is_nfc(p.text));
  BOOST_TEST(p.text == "079303001234|Trần Thị Bích|15062003|Nữ|Hà Nội|20012022");
  BOOST_TEST(p.who->full_name == "Trần Thị Bích");
  BOOST_TEST((p.who->sex_ == sex::female));  // decomposed "Nữ" still female
  BOOST_TEST(!p.has_flag("id_sex_mismatch"));
  BOOST_TEST(!classify(cccd6).has_flag("nfd_input"));
}

BOOST_AUTO_TEST_CASE(cccd_sex_spellings) {
  BOOST_TEST((classify(cccd7_with("01021999", "nam")).who->sex_ == sex::male));
  BOOST_TEST((classify(cccd7_with("01021999", "NAM")).who->sex_ == sex::male));
  BOOST_TEST((classify(cccd7_with("01021999", "nữ")).who->sex_ == sex::female));
  BOOST_TEST((classify(cccd7_with("01021999", "NỮ")).who->sex_ == sex::female));
  // Without diacritics: accepted as female (documented decision).
  BOOST_TEST((classify(cccd7_with("01021999", "Nu")).who->sex_ == sex::female));
  BOOST_TEST((classify(cccd7_with("01021999", "NU")).who->sex_ == sex::female));
  const auto unknown = classify(cccd7_with("01021999", "X"));
  BOOST_TEST(str(unknown.kind) == "cccd");
  BOOST_TEST((unknown.who->sex_ == sex::unknown));
  BOOST_TEST(unknown.has_flag("unknown_sex"));
  BOOST_TEST(!unknown.has_flag("id_sex_mismatch"));  // unknown sex is not compared
}

BOOST_AUTO_TEST_CASE(cccd_number_cross_checks) {
  // Male number (4th digit 0) with a female sex field.
  const auto sex_mismatch = classify(cccd7_with("01021999", "Nữ"));
  BOOST_TEST(sex_mismatch.has_flag("id_sex_mismatch"));
  BOOST_TEST(!sex_mismatch.has_flag("id_century_mismatch"));
  BOOST_TEST(!sex_mismatch.has_flag("id_birth_year_mismatch"));
  // Right last two digits, wrong century.
  const auto century = classify(cccd7_with("01022099", "Nam"));
  BOOST_TEST(century.has_flag("id_century_mismatch"));
  BOOST_TEST(!century.has_flag("id_birth_year_mismatch"));
  BOOST_TEST(!century.has_flag("id_sex_mismatch"));
  // Right century, wrong year digits.
  const auto year = classify(cccd7_with("01021998", "Nam"));
  BOOST_TEST(year.has_flag("id_birth_year_mismatch"));
  BOOST_TEST(!year.has_flag("id_century_mismatch"));
  // 4th digit 4/5: 2100s, male/female.
  const auto c22 = classify("001510000001|A|01012110|Nữ|x|01012130");
  BOOST_TEST(str(c22.kind) == "cccd");
  BOOST_TEST(c22.flags.empty());
  const auto c22_wrong = classify("001410000001|A|01012010|Nữ|x|01012030");
  BOOST_TEST(c22_wrong.has_flag("id_century_mismatch"));
  BOOST_TEST(c22_wrong.has_flag("id_sex_mismatch"));
  BOOST_TEST(!c22_wrong.has_flag("id_birth_year_mismatch"));
}

BOOST_AUTO_TEST_CASE(cccd_invalid_calendar_dates) {
  const auto p = classify(cccd7_with("31021999", "Nam"));
  BOOST_TEST(str(p.kind) == "cccd");
  BOOST_TEST(p.who->id_number == "001099012345");
  BOOST_TEST(!p.who->birth_date.has_value());
  BOOST_TEST(p.has_flag("invalid_birth_date"));
  BOOST_TEST(!p.has_flag("id_century_mismatch"));  // nothing to compare
  BOOST_TEST(!p.has_flag("id_birth_year_mismatch"));

  const auto issue = classify("079303001234|B|15/06/2003|Nữ|x|30/02/2021");
  BOOST_TEST(!issue.who->issue_date.has_value());
  BOOST_TEST(issue.has_flag("invalid_issue_date"));
  BOOST_TEST(issue.has_flag("date_slashes"));

  BOOST_TEST(classify(cccd7_with("29021996", "Nam")).who->birth_date.has_value());  // leap
  BOOST_TEST(classify("079300001234|B|29022000|Nữ|x|20012022").who->birth_date.has_value());
  BOOST_TEST(!classify("079400001234|B|29022100|Nam|x|20012022").who->birth_date.has_value());
  BOOST_TEST(classify(cccd7_with("00131999", "Nam")).has_flag("invalid_birth_date"));
  BOOST_TEST(classify(cccd7_with("01011899", "Nam")).has_flag("invalid_birth_date"));
  BOOST_TEST(classify(cccd7_with("1/2/1999", "Nam")).has_flag("invalid_birth_date"));
  BOOST_TEST(classify(cccd7_with("", "Nam")).has_flag("invalid_birth_date"));
  BOOST_TEST(classify(cccd7_with("01-02-1999", "Nam")).has_flag("invalid_birth_date"));
}

BOOST_AUTO_TEST_CASE(cccd_needs_twelve_digit_first_field) {
  for (const std::string id : {"00109901234", "0010990123456", "00109901234A", ""}) {
    const auto p = classify(id + "|123456789|An|01021999|Nam|x|15082021");
    BOOST_TEST(str(p.kind) == "opaque");
    BOOST_TEST(!p.who.has_value());
    BOOST_TEST(p.has_flag("unrecognised"));
  }
  // Wrong field counts are not a CCCD either.
  BOOST_TEST(str(classify("001099012345|An|01021999|Nam|x").kind) == "opaque");
  BOOST_TEST(str(classify(cccd7 + "|extra").kind) == "opaque");
  // Spaces around fields are tolerated.
  const auto spaced = classify(" 001099012345 | 123456789 | An | 01021999 | Nam | x | 15082021 ");
  BOOST_TEST(str(spaced.kind) == "cccd");
  BOOST_TEST(spaced.who->id_number == "001099012345");
  BOOST_TEST(spaced.who->full_name == "An");
}

BOOST_AUTO_TEST_CASE(personal_qr_self_declared) {
  const std::string qr = "001099012345|NGUYEN VAN AN|1999-02-01|0|QID0123456789|";
  const auto p = classify(qr);
  BOOST_TEST(str(p.kind) == "personal_qr");
  BOOST_TEST(p.text == qr);
  BOOST_TEST(p.flags.empty());
  BOOST_REQUIRE(p.who.has_value());
  BOOST_TEST(p.who->id_number == "001099012345");
  BOOST_TEST(p.who->full_name == "NGUYEN VAN AN");
  BOOST_TEST((p.who->birth_date == civil_date{1999, 2, 1}));
  BOOST_TEST((p.who->sex_ == sex::unknown));
  BOOST_TEST(!p.who->issue_date.has_value());
}

BOOST_AUTO_TEST_CASE(personal_qr_proxy_passport_and_raw_ext) {
  // EXT whose separator happens to be '|': kept raw in the text.
  const std::string qr = " c1234567 |TRAN THI B|2003-06-15|1|Q42|proxyQID|Nu|0901234567";
  const auto p = classify(qr);
  BOOST_TEST(str(p.kind) == "personal_qr");
  BOOST_TEST(p.text == qr);
  BOOST_TEST(p.has_flag("proxy_declared"));
  BOOST_TEST(p.who->id_number == "C1234567");  // trimmed, upper-cased
}

BOOST_AUTO_TEST_CASE(personal_qr_flags_and_rejections) {
  const auto bad_date = classify("C1234567|A|2003-02-30|0|Q|");
  BOOST_TEST(str(bad_date.kind) == "personal_qr");
  BOOST_TEST(bad_date.has_flag("invalid_birth_date"));
  BOOST_TEST(!bad_date.who->birth_date.has_value());
  BOOST_TEST(classify("C1234567|A|2003-02-03|2|Q|").has_flag("unknown_declaration_type"));
  // A CCCD number as document number is cross-checked against the birth date.
  const auto cross = classify("001099012345|A|2001-01-01|0|Q|");
  BOOST_TEST(cross.has_flag("id_century_mismatch"));
  BOOST_TEST(cross.has_flag("id_birth_year_mismatch"));
  // No usable document number: never identify by name.
  for (const std::string id : {"", "   ", "12345", "AB-12345", "\u017F12345", "Nguyễn123"}) {
    const auto p = classify(id + "|NGUYEN VAN AN|1999-02-01|0|Q|");
    BOOST_TEST(str(p.kind) == "opaque");
    BOOST_TEST(!p.who.has_value());
    BOOST_TEST(p.has_flag("unrecognised"));
  }
  // Too few fields.
  BOOST_TEST(str(classify("C1234567|A|1999-02-01|0|Q").kind) == "opaque");
}

BOOST_AUTO_TEST_CASE(personal_qr_is_not_six_field_cccd) {
  // Same document number and field count; the third field decides.
  const auto cccd = classify("001099012345|Nguyễn Văn An|01021999|Nam|x|15082021");
  const auto qr = classify("001099012345|NGUYEN VAN AN|1999-02-01|0|Q|x");
  BOOST_TEST(str(cccd.kind) == "cccd");
  BOOST_TEST(str(qr.kind) == "personal_qr");
  BOOST_TEST((cccd.who->sex_ == sex::male));
  BOOST_TEST((qr.who->sex_ == sex::unknown));
}

BOOST_AUTO_TEST_CASE(bhyt_recognised_and_stored_raw) {
  // Name "Nguyễn Văn An" and address as hex-encoded UTF-8.
  const std::string card =
      "DN4010123456789|4e677579e1bb856e2056c4836e20416e|01/02/1999|1|"
      "48c3a0204ee1bb9969|01/01/2024|31/12/2024";
  const auto p = classify(card);
  BOOST_TEST(str(p.kind) == "bhyt");
  BOOST_TEST(p.text == card);
  BOOST_TEST(!p.who.has_value());
  BOOST_TEST(p.flags.empty());
  BOOST_TEST(str(classify("GD479797979797X|4E6775|x").kind) == "bhyt");  // 15 alnum, upper hex
  BOOST_TEST(str(classify("DN4010123456789|4e677").kind) == "opaque");     // odd length
  BOOST_TEST(str(classify("DN4010123456789|ff").kind) == "opaque");        // not UTF-8
  BOOST_TEST(str(classify("DN4010123456789|zz").kind) == "opaque");        // not hex
  BOOST_TEST(str(classify("DN4010123456789|").kind) == "opaque");          // empty
  BOOST_TEST(str(classify("DN401012345678|4e67").kind) == "opaque");       // 14 chars
  BOOST_TEST(str(classify("1N4010123456789|4e67").kind) == "opaque");      // no 2 letters
  BOOST_TEST(str(classify("DN4010123456789").kind) == "opaque");           // one field
}

BOOST_AUTO_TEST_CASE(ravao_commands) {
  for (const std::string verb : {"PRINT_SLIP", "CHECKOUT_LAST", "UNDO_LAST", "PRINTER_TEST"}) {
    const auto p = classify("RAVAO:CMD:" + verb);
    BOOST_TEST(str(p.kind) == "ravao_command");
    BOOST_TEST(p.command == verb);
    BOOST_TEST(p.command_arg == "");
    BOOST_TEST(p.flags.empty());
    BOOST_TEST(!p.who.has_value());
  }
  const auto with_counter = classify("RAVAO:CMD:CHECKOUT_LAST:Q3-a_1\r\n");
  BOOST_TEST(str(with_counter.kind) == "ravao_command");
  BOOST_TEST(with_counter.command == "CHECKOUT_LAST");
  BOOST_TEST(with_counter.command_arg == "Q3-a_1");
  BOOST_TEST(with_counter.text == "RAVAO:CMD:CHECKOUT_LAST:Q3-a_1");
}

BOOST_AUTO_TEST_CASE(ravao_slips) {
  const auto p = classify("RAVAO:SLIP:A1B2");
  BOOST_TEST(str(p.kind) == "ravao_slip");
  BOOST_TEST(p.slip_number == "A1B2");
  BOOST_TEST(p.flags.empty());
  BOOST_TEST(classify("RAVAO:SLIP:0123456789ABCDEF").slip_number == "0123456789ABCDEF");
}

BOOST_AUTO_TEST_CASE(counter_ids_a_command_card_can_carry) {
  // The configuration allows ids the command codes cannot name ('.', 33-64
  // characters); `ravaoctl card print` refuses those (daemon/control/write_commands.cpp).
  for (const std::string& id : std::vector<std::string>{"desk", "Q3-a_1", std::string(32, 'q')})
    BOOST_TEST(ravao::payload::is_command_counter_id(id), id);
  for (const std::string& id : std::vector<std::string>{"", "quay.1", std::string(33, 'q'), "quầy1", "q 1"})
    BOOST_TEST(!ravao::payload::is_command_counter_id(id), id);
  BOOST_TEST(str(classify("RAVAO:CMD:PRINT_SLIP:quay.1").kind) == "opaque");
}

BOOST_AUTO_TEST_CASE(malformed_ravao_codes_are_unknown) {
  for (const std::string& code : std::vector<std::string>{
           "RAVAO:", "RAVAO:FOO", "RAVAO:CMD:", "RAVAO:CMD:REBOOT", "RAVAO:CMD:print_slip",
        "RAVAO:CMD:PRINT_SLIP:", "RAVAO:CMD:PRINT_SLIP:A:B", "RAVAO:CMD:PRINT_SLIP:Q 1",
        "RAVAO:CMD:PRINT_SLIP:" + std::string(33, 'A'), "RAVAO:SLIP:", "RAVAO:SLIP:ABC",
        "RAVAO:SLIP:abc1", "RAVAO:SLIP:0123456789ABCDEFG", "RAVAO:SLIP:A1B2:", "RAVAO:SLIP:Ä1B2"}) {
    const auto p = classify(code);
    BOOST_TEST(str(p.kind) == "opaque", code);
    BOOST_TEST(p.has_flag("unknown_ravao_code"), code);
    BOOST_TEST(!p.has_flag("unrecognised"), code);
    BOOST_TEST(p.command.empty());
    BOOST_TEST(p.slip_number.empty());
  }
  // The prefix is case-sensitive: outside the namespace, merely unrecognised.
  const auto lower = classify("ravao:cmd:PRINT_SLIP");
  BOOST_TEST(str(lower.kind) == "opaque");
  BOOST_TEST(lower.has_flag("unrecognised"));
  BOOST_TEST(!lower.has_flag("unknown_ravao_code"));
}

BOOST_AUTO_TEST_CASE(anything_else_is_opaque) {
  for (const std::string s :
       {"", "https://example.vn/?q=1", "=HYPERLINK(\"x\")", "8934567890123", "|||||"}) {
    const auto p = classify(s);
    BOOST_TEST(str(p.kind) == "opaque");
    BOOST_TEST(p.text == s);
    BOOST_TEST(p.flags.size() == 1u);
    BOOST_TEST(p.has_flag("unrecognised"));
  }
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_opaque_and_escaped) {
  const auto p = classify("\xEF\xBB\xBF" "001099012345|\xC3|An\\|\r\n");
  BOOST_TEST(str(p.kind) == "opaque");
  BOOST_TEST(p.has_flag("invalid_utf8"));
  BOOST_TEST(p.has_flag("bom"));
  BOOST_TEST(!p.who.has_value());
  BOOST_TEST(p.text == "001099012345|\\xc3|An\\x5c|");
  BOOST_TEST(!ravao::text::first_invalid_utf8(p.text).has_value());
}

BOOST_AUTO_TEST_CASE(names_of_kinds_and_sexes) {
  BOOST_TEST(str(payload_kind::cccd) == "cccd");
  BOOST_TEST(str(payload_kind::personal_qr) == "personal_qr");
  BOOST_TEST(str(payload_kind::bhyt) == "bhyt");
  BOOST_TEST(str(payload_kind::ravao_command) == "ravao_command");
  BOOST_TEST(str(payload_kind::ravao_slip) == "ravao_slip");
  BOOST_TEST(str(payload_kind::opaque) == "opaque");
  BOOST_TEST(ravao::to_string(sex::unknown) == "unknown");
  BOOST_TEST(ravao::to_string(sex::male) == "male");
  BOOST_TEST(ravao::to_string(sex::female) == "female");
}
