#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

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
  BOOST_TEST(text::mask_name("Nghiêng Văn An") == "NGHIÊNG V. A.");  // 7 letters: the longest syllable
  BOOST_TEST(text::mask_name("") == "");
  BOOST_TEST(text::mask_name("   ") == "");
  // A combining mark that has no precomposed form stays with its initial.
  BOOST_TEST(text::mask_name("Lê q\u0301\u0323a") == "LÊ Q\u0323\u0301.");
  // Masking a mask changes nothing (schema 4 re-masks stored masks).
  BOOST_TEST(text::mask_name("NGUYỄN V. A.") == "NGUYỄN V. A.");
}

BOOST_AUTO_TEST_CASE(mask_name_fails_closed_on_a_single_or_foreign_word) {
  // One word: nothing says it is the family name alone.
  BOOST_TEST(text::mask_name("Lê") == "L.");
  // More than 7 letters, or not only Latin letters: the initial only.
  BOOST_TEST(text::mask_name("Schwarzenegger Arnold") == "S. A.");
  BOOST_TEST(text::mask_name("PHẠM-MINH CHÂU") == "P. C.");
  BOOST_TEST(text::mask_name("PHẠM1 CHÂU") == "P. C.");
  BOOST_TEST(text::mask_name("ПЕТРОВ ИВАН") == "П. И.");
}

BOOST_AUTO_TEST_CASE(audit_8_name_with_unusual_separators_is_masked) {
  // The audit: "PHẠM MINH CHÂU" with NBSP separators was stored as is.
  for (const std::string& sep : {"\u00A0"s, "\u3000"s, "\t"s, "\u2007"s, "\u202F"s, "\u2009"s, "\u205F"s,
                                "\u1680"s, "\u0085"s, "\u2028"s, "\u2029"s, "\n"s, "\r"s, "\v"s, "\f"s,
                                "\x1F"s, "\0"s, "\x7F"s, "\u200B"s, "\uFEFF"s, "\u200D"s, "\u2060"s,
                                "\u00AD"s, "\u202E"s, "\u3164"s, "\uFE0F"s, "\xA0"s, "\xC2"s, "\xFF"s}) {
    const std::string name = "Phạm" + sep + "Minh" + sep + "Châu";
    const std::string masked = text::mask_name(name);
    BOOST_TEST_CONTEXT("separator " << text::escape_for_log(sep)) {
      BOOST_TEST(masked == "PHẠM M. C.");
      BOOST_TEST(masked.find("MINH") == std::string::npos);
      BOOST_TEST(masked.find("CHÂU") == std::string::npos);
    }
  }
  // Separators mixed and repeated, NFD letters around them.
  BOOST_TEST(text::mask_name("\uFEFF Pha\u0323m\u00A0\u200B\u3000Minh\tCha\u0302u\r\n") == "PHẠM M. C.");
  // Fail closed: a name glued into one word shows one letter, whatever
  // (unknown) separator or none at all glued it.
  BOOST_TEST(text::mask_name("PHẠMMINHCHÂU") == "P.");
  BOOST_TEST(text::mask_name("PHẠM\u00B7MINH\u00B7CHÂU") == "P.");
  BOOST_TEST(text::mask_name("PHẠM.MINH.CHÂU") == "P.");
  BOOST_TEST(text::mask_name("PHẠM_MINH_CHÂU NGUYỄN") == "P. N.");
  const std::string long_word(40, 'Q');
  BOOST_TEST(text::mask_name(long_word) == "Q.");
  BOOST_TEST(text::mask_name(long_word + " AN") == "Q. A.");
  // Invalid UTF-8 inside a word neither bypasses the mask nor reaches the output raw.
  const std::string invalid = text::mask_name("PH\xE1\xBA MINH CH\xC3U");
  BOOST_TEST(invalid == "PH M. C. U.");  // ill-formed bytes separate words
  BOOST_TEST(!text::first_invalid_utf8(invalid).has_value());
}

namespace {
// How many IDs of the same form share `id`'s mask: every position whose
// change (to any character of its alphabet) leaves the mask unchanged is
// hidden, and the candidates are the product of the hidden positions'
// alphabet sizes. Measured on mask_id itself, not taken from its rule.
double candidates_left(const std::string& id, const std::vector<std::string_view>& alphabets) {
  const std::string mask = text::mask_id(id);
  double n = 1;
  for (std::size_t i = 0; i < id.size(); ++i) {
    bool hidden = true;
    for (char c : alphabets[i]) {
      std::string other = id;
      other[i] = c;
      hidden = hidden && text::mask_id(other) == mask;
    }
    if (hidden) n *= static_cast<double>(alphabets[i].size());
  }
  return n;
}

constexpr std::string_view digits = "0123456789";
constexpr std::string_view letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
}  // namespace

BOOST_AUTO_TEST_CASE(mask_id_shows_at_most_the_last_two_characters) {
  BOOST_TEST(text::mask_id("001099012345") == "**********45");  // CCCD
  BOOST_TEST(text::mask_id("123456789") == "*******89");        // old CMND
  BOOST_TEST(text::mask_id("C1234567") == "*******7");          // passport
  BOOST_TEST(text::mask_id("C12345678") == "*******78");        // passport, 9 characters
  BOOST_TEST(text::mask_id("1234567") == "*******");
  BOOST_TEST(text::mask_id("123456") == "******");
  BOOST_TEST(text::mask_id("1") == "*");
  BOOST_TEST(text::mask_id("") == "");
  // Only ASCII letters and digits are ever shown.
  BOOST_TEST(text::mask_id("12345678\x1B[") == "**********");
  BOOST_TEST(text::mask_id("1234567\xC3\xA9") == "********");
  // Masking an old mask (first 4 and last 2 shown) gives the new mask:
  // schema 4 re-masks stored masks this way.
  BOOST_TEST(text::mask_id("0010******45") == text::mask_id("001099012345"));
  BOOST_TEST(text::mask_id("1234***89") == text::mask_id("123456789"));
  BOOST_TEST(text::mask_id("C123**67") == text::mask_id("C1234567"));
  BOOST_TEST(text::mask_id("*****6") == text::mask_id("123456"));
}

BOOST_AUTO_TEST_CASE(audit_7_id_mask_leaves_the_promised_candidates) {
  // The audit: "C123**67" left 100 passports, "1234***89" 1,000 CMNDs.
  // docs/privacy.md, "Masks", promises at least these numbers of IDs of the
  // same form per mask.
  const auto form = [](std::string_view first, std::string_view rest, std::size_t n) {
    std::vector<std::string_view> a(n, rest);
    if (n > 0) a[0] = first;
    return a;
  };
  BOOST_TEST(candidates_left("001099012345", form(digits, digits, 12)) >= 1e10);  // CCCD
  BOOST_TEST(candidates_left("001099012345", form(digits, digits, 12)) <= 1e10);  // (what the rule shows: 2)
  BOOST_TEST(candidates_left("123456789", form(digits, digits, 9)) >= 1e7);       // CMND
  BOOST_TEST(candidates_left("C1234567", form(letters, digits, 8)) >= 26e6);      // passport
  BOOST_TEST(candidates_left("C12345678", form(letters, digits, 9)) >= 26e6);
  // Any length: at least 7 characters hidden (all of them below 8), so at
  // least 10^min(n, 7) digit strings, and never more than 2 shown.
  for (std::size_t n = 1; n <= 24; ++n) {
    std::string id;
    for (std::size_t i = 0; i < n; ++i) id += digits[(i * 7 + 3) % 10];
    BOOST_TEST_CONTEXT("length " << n) {
      BOOST_TEST(candidates_left(id, form(digits, digits, n)) >= std::pow(10.0, static_cast<double>(std::min<std::size_t>(n, 7))));
      BOOST_TEST(candidates_left(id, form(alnum, alnum, n)) >= std::pow(36.0, static_cast<double>(std::min<std::size_t>(n, 7))));
      BOOST_TEST(text::mask_id(id).size() == n);
      BOOST_TEST(text::id_mask_shown(n) <= 2u);
    }
  }
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
