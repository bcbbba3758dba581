#include <boost/test/unit_test.hpp>

#include <string>

#include "common/text.hpp"

namespace text = ravao::text;
using namespace std::string_literals;

namespace {
// "Nguyễn Văn An" in NFD: e + combining circumflex + combining tilde,
// a + combining breve.
const std::string nfd_name = "Nguye\u0302\u0303n Va\u0306n An";
const std::string nfc_name = "Nguyễn Văn An";
}  // namespace

BOOST_AUTO_TEST_CASE(valid_utf8_has_no_invalid_offset) {
  BOOST_TEST(!text::first_invalid_utf8("").has_value());
  BOOST_TEST(!text::first_invalid_utf8("plain ascii|123").has_value());
  BOOST_TEST(!text::first_invalid_utf8(nfc_name).has_value());
  BOOST_TEST(!text::first_invalid_utf8(nfd_name).has_value());
  BOOST_TEST(!text::first_invalid_utf8("\xF0\x9F\x98\x80").has_value());      // U+1F600
  BOOST_TEST(!text::first_invalid_utf8("\xF4\x8F\xBF\xBF").has_value());      // U+10FFFF
  BOOST_TEST(!text::first_invalid_utf8("\xED\x9F\xBF").has_value());          // U+D7FF
  BOOST_TEST(!text::first_invalid_utf8("\0abc"s).has_value());                // NUL is valid UTF-8
}

BOOST_AUTO_TEST_CASE(ill_formed_utf8_reports_first_bad_offset) {
  BOOST_TEST(text::first_invalid_utf8("ab\xC0\x80").value() == 2u);           // overlong NUL
  BOOST_TEST(text::first_invalid_utf8("\xC1\xBF").value() == 0u);             // overlong
  BOOST_TEST(text::first_invalid_utf8("x\xE0\x80\x80").value() == 1u);        // overlong 3-byte
  BOOST_TEST(text::first_invalid_utf8("\xF0\x80\x80\x80").value() == 0u);     // overlong 4-byte
  BOOST_TEST(text::first_invalid_utf8("\xED\xA0\x80").value() == 0u);         // surrogate D800
  BOOST_TEST(text::first_invalid_utf8("ok\xF4\x90\x80\x80").value() == 2u);   // > U+10FFFF
  BOOST_TEST(text::first_invalid_utf8("\xF5\x80\x80\x80").value() == 0u);
  BOOST_TEST(text::first_invalid_utf8("abc\x80").value() == 3u);              // lone continuation
  BOOST_TEST(text::first_invalid_utf8("abc\xE1\xBB").value() == 3u);          // truncated
  BOOST_TEST(text::first_invalid_utf8("\xFF").value() == 0u);
  BOOST_TEST(text::first_invalid_utf8(nfc_name + "\xC3").value() == nfc_name.size());
}

BOOST_AUTO_TEST_CASE(nfc_normalisation) {
  BOOST_TEST(text::to_nfc(nfd_name) == nfc_name);
  BOOST_TEST(text::to_nfc(nfc_name) == nfc_name);
  BOOST_TEST(text::to_nfc("") == "");
  BOOST_TEST(text::to_nfc("N\u01B0\u0303") == "Nữ");  // ư + combining tilde
  // Invalid input comes back unchanged.
  BOOST_TEST(text::to_nfc("e\xCC\x82\xFF") == "e\xCC\x82\xFF");
  BOOST_TEST(text::is_nfc(nfc_name));
  BOOST_TEST(!text::is_nfc(nfd_name));
  BOOST_TEST(text::is_nfc("ASCII only"));
  BOOST_TEST(text::is_nfc(""));
}

BOOST_AUTO_TEST_CASE(upper_case_covers_vietnamese_letters) {
  BOOST_TEST(text::to_upper("ư") == "Ư");
  BOOST_TEST(text::to_upper("đ") == "Đ");
  BOOST_TEST(text::to_upper("nữ") == "NỮ");
  BOOST_TEST(text::to_upper(nfc_name) == "NGUYỄN VĂN AN");
  BOOST_TEST(text::to_upper(nfd_name) == "NGUYỄN VĂN AN");  // result is NFC
  BOOST_TEST(text::to_upper("") == "");
  BOOST_TEST(text::to_upper("abc 123|x") == "ABC 123|X");
  // Total: ill-formed bytes become U+FFFD rather than failing.
  BOOST_TEST(text::to_upper("a\xFF") == "A\xEF\xBF\xBD");
}

BOOST_AUTO_TEST_CASE(mask_name_keeps_family_name_and_initials) {
  BOOST_TEST(text::mask_name(nfc_name) == "NGUYỄN V. A.");
  BOOST_TEST(text::mask_name(nfd_name) == "NGUYỄN V. A.");
  BOOST_TEST(text::mask_name("  trần   thị  ánh  ") == "TRẦN T. Á.");
  BOOST_TEST(text::mask_name("Đặng Ưng") == "ĐẶNG Ư.");
  BOOST_TEST(text::mask_name("NGUYEN VAN AN") == "NGUYEN V. A.");
  BOOST_TEST(text::mask_name("Lê") == "LÊ");
  BOOST_TEST(text::mask_name("") == "");
  BOOST_TEST(text::mask_name("   ") == "");
  // A combining mark that has no precomposed form stays with its initial.
  BOOST_TEST(text::mask_name("Lê q\u0301\u0323a") == "LÊ Q\u0323\u0301.");
}

BOOST_AUTO_TEST_CASE(mask_id_keeps_head_and_tail) {
  BOOST_TEST(text::mask_id("001099012345") == "0010******45");
  BOOST_TEST(text::mask_id("123456789") == "1234***89");   // old CMND
  BOOST_TEST(text::mask_id("C1234567") == "C123**67");     // passport
  BOOST_TEST(text::mask_id("1234567") == "1234*67");
  BOOST_TEST(text::mask_id("123456") == "*****6");
  BOOST_TEST(text::mask_id("1") == "1");
  BOOST_TEST(text::mask_id("") == "");
}

BOOST_AUTO_TEST_CASE(escape_for_log_is_single_line_and_printable) {
  BOOST_TEST(text::escape_for_log(nfc_name) == nfc_name);
  BOOST_TEST(text::escape_for_log("\x1B@hi\r\n") == "\\x1b@hi\\x0d\\x0a");
  BOOST_TEST(text::escape_for_log("a\\b") == "a\\x5cb");
  BOOST_TEST(text::escape_for_log("\0x"s) == "\\x00x");
  BOOST_TEST(text::escape_for_log("\x7F") == "\\x7f");
  BOOST_TEST(text::escape_for_log("a\xFF" "b") == "a\\xffb");
  BOOST_TEST(text::escape_for_log("\xC2\x9B") == "\\xc2\\x9b");           // C1 CSI
  BOOST_TEST(text::escape_for_log("x\u202Ey") == "x\\xe2\\x80\\xaey");     // bidi override
  BOOST_TEST(text::escape_for_log("x\u2028y") == "x\\xe2\\x80\\xa8y");     // line separator
  BOOST_TEST(text::escape_for_log("abcdef", 3) == "abc...");
  BOOST_TEST(text::escape_for_log("abc", 3) == "abc");
  // A character straddling the limit is not cut in half.
  BOOST_TEST(text::escape_for_log("ab\xE1\xBB\x85", 3) == "ab...");
  BOOST_TEST(text::escape_for_log("", 3) == "");
  const std::string long_line(1000, 'x');
  BOOST_TEST(text::escape_for_log(long_line) == std::string(64, 'x') + "...");
}

BOOST_AUTO_TEST_CASE(first_control_finds_what_a_terminal_would_act_on) {
  BOOST_TEST(!text::first_control("").has_value());
  BOOST_TEST(!text::first_control(nfc_name + " |a\\b 0010******45").has_value());
  BOOST_TEST(text::first_control("ab\x1B[2J").value() == 2u);               // ESC
  BOOST_TEST(text::first_control("a\x7F").value() == 1u);                   // DEL
  BOOST_TEST(text::first_control("Nguy\xC2\x9B" "31m").value() == 4u);      // C1 CSI as UTF-8
  BOOST_TEST(text::first_control("ab\u202Ecd").value() == 2u);              // right-to-left override
  BOOST_TEST(text::first_control("ab\u2066").value() == 2u);                // bidi isolate
  BOOST_TEST(text::first_control("a\u2029").value() == 1u);                 // paragraph separator
  BOOST_TEST(text::first_control("ok\xFF").value() == 2u);                  // not UTF-8
  BOOST_TEST(text::first_control("a\tb").value() == 1u);
  BOOST_TEST(!text::first_control("a\tb", "\t").has_value());
  BOOST_TEST(text::first_control("a\tb\nc", "\t").value() == 3u);
}

BOOST_AUTO_TEST_CASE(json_for_terminal_escapes_what_json_writers_leave_raw) {
  // Printable text, JSON's own escapes and whitespace between tokens are kept.
  const std::string plain = "{\"name\":\"" + nfc_name + "\",\"q\":\"a\\\"b\\\\c\\u001b\"}";
  BOOST_TEST(text::json_for_terminal(plain) == plain);
  BOOST_TEST(text::json_for_terminal("[1,\n 2]") == "[1,\n 2]");
  BOOST_TEST(text::json_for_terminal("\"\xC2\x9B" "2J\"") == "\"\\u009b2J\"");
  BOOST_TEST(text::json_for_terminal("\"a\u202Eb\"") == "\"a\\u202eb\"");
  BOOST_TEST(text::json_for_terminal("\"\x7F\"") == "\"\\u007f\"");
  BOOST_TEST(text::json_for_terminal("\"\x1B\"") == "\"\\u001b\"");
  BOOST_TEST(text::json_for_terminal("\"a\xFF\"") == "\"a\\ufffd\"");
}

BOOST_AUTO_TEST_CASE(hex_prefix_of_first_bytes) {
  BOOST_TEST(text::hex_prefix("\x1B@\xE3") == "1b40e3");
  BOOST_TEST(text::hex_prefix("") == "");
  BOOST_TEST(text::hex_prefix("\0\xFF"s) == "00ff");
  BOOST_TEST(text::hex_prefix("abcdef", 2) == "6162");
  // Digits are hidden: a refused CCCD frame must not put its ID number in the log.
  BOOST_TEST(text::hex_prefix("\x1b" "001090") == "1b3?3?3?3?3?3?");
  std::string hex_32_a;
  for (int i = 0; i < 32; ++i) hex_32_a += "41";
  BOOST_TEST(text::hex_prefix(std::string(100, 'A')) == hex_32_a);  // default: 32 bytes
}

BOOST_AUTO_TEST_CASE(shape_shows_structure_but_no_letters_or_digits) {
  BOOST_TEST(text::shape("001090012345||Nguyễn Văn An|0101", 64) == "999999999999||Aaaaaa Aaa Aa|9999");
  // NFD input: the marks go with their letter.
  BOOST_TEST(text::shape(nfd_name, 64) == text::shape(nfc_name, 64));
  BOOST_TEST(text::shape("\x1b@Đ\0\xff"s) == "\\x1b@A\\x00\\xff");
  BOOST_TEST(text::shape("\xEF\xBB\xBFx") == "\\u{feff}a");  // a BOM is shown as such
  BOOST_TEST(text::shape("a\\b") == "a\\x5ca");
  BOOST_TEST(text::shape(std::string(40, '7')) == std::string(32, '9') + "...");
  BOOST_TEST(text::shape("") == "");
}
