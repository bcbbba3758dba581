#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/serialize.hpp>

#include "common/text.hpp"
#include "slip/declaration.hpp"

namespace slip = ravao::slip;
using fields = std::vector<std::pair<std::string, std::string>>;
using namespace std::string_literals;

namespace {

// Every test passes "today" explicitly: nothing here reads the clock.
constexpr std::string_view today = "2026-11-23";

fields minimal() { return {{"name", "Nguyễn Văn An"}, {"phone", "0912345678"}}; }

fields with(fields f, std::string name, std::string value) {
  f.emplace_back(std::move(name), std::move(value));
  return f;
}

slip::declaration parse_ok(const fields& f) {
  auto r = slip::parse_declaration(f, today);
  std::string why;
  if (!r) {
    for (const auto& e : r.error()) why += e.field + ": " + e.message + "; ";
  }
  BOOST_REQUIRE_MESSAGE(r.has_value(), why);
  return std::move(*r);
}

std::vector<slip::field_error> parse_errors(const fields& f) {
  auto r = slip::parse_declaration(f, today);
  BOOST_REQUIRE_MESSAGE(!r.has_value(), "the form was accepted");
  return r.error();
}

// The one error of a form expected to have exactly one, for `field`.
slip::field_error only_error(const fields& f, std::string_view field) {
  const auto errors = parse_errors(f);
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(errors[0].field == field);
  BOOST_TEST(!errors[0].message.empty());
  return errors[0];
}

std::set<std::string> error_fields(const std::vector<slip::field_error>& errors) {
  std::set<std::string> out;
  for (const auto& e : errors) out.insert(e.field);
  return out;
}

// Text that can go into a one-line log as is: well-formed UTF-8 without C0
// or C1 controls or DEL.
bool printable(std::string_view s) {
  if (ravao::text::first_invalid_utf8(s)) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x20 || b == 0x7F) return false;
    if (b == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xA0) return false;
  }
  return true;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_full_form_is_parsed_and_normalised) {
  const auto d = parse_ok({
      {"name", "  Nguyễn   Thị Bích  "},
      {"birth", "05/03/1987"},
      {"sex", "Nữ"},
      {"nationality", "Việt Nam"},
      {"id", "079187001234"},
      {"phone", "091 234.5678"},
      {"address", "12 Lê Lợi, phường Bến Nghé, Quận 1, TP Hồ Chí Minh"},
      {"fever", "không"},
      {"cough", "có"},
      {"breath", "no"},
      {"throat", "Y"},
      {"taste", "0"},
      {"other", "mệt mỏi"},
      {"contact", "khong"},
      {"travel", "co"},
      {"date", "2026-11-20"},
  });
  BOOST_TEST(d.value("name") == "Nguyễn Thị Bích");
  BOOST_TEST(d.value("birth") == "1987-03-05");
  BOOST_TEST(d.value("sex") == "female");
  BOOST_TEST(d.value("nationality") == "Việt Nam");
  BOOST_TEST(d.value("id") == "079187001234");
  BOOST_TEST(d.value("phone") == "0912345678");
  BOOST_TEST(d.value("address") == "12 Lê Lợi, phường Bến Nghé, Quận 1, TP Hồ Chí Minh");
  BOOST_TEST((d.value("fever") == "no"));
  BOOST_TEST((d.value("cough") == "yes"));
  BOOST_TEST((d.value("breath") == "no"));
  BOOST_TEST((d.value("throat") == "yes"));
  BOOST_TEST((d.value("taste") == "no"));
  BOOST_TEST(d.value("other") == "mệt mỏi");
  BOOST_TEST((d.value("contact") == "no"));
  BOOST_TEST((d.value("travel") == "yes"));
  BOOST_TEST(d.value("date") == "2026-11-20");
}

BOOST_AUTO_TEST_CASE(only_name_and_phone_are_required_and_the_rest_has_defaults) {
  const auto d = parse_ok(minimal());
  BOOST_TEST(d.value("birth").empty());
  BOOST_TEST(d.value("sex").empty());
  BOOST_TEST(d.value("nationality") == "Việt Nam");
  BOOST_TEST(d.value("id").empty());
  BOOST_TEST(d.value("address").empty());
  BOOST_TEST((d.value("fever") == "unknown"));
  BOOST_TEST((d.value("travel") == "unknown"));
  BOOST_TEST(d.value("date") == "2026-11-23");

  // An empty optional value is "not given".
  const auto e = parse_ok(with(with(with(minimal(), "nationality", " "), "fever", ""), "date", ""));
  BOOST_TEST(e.value("nationality") == "Việt Nam");
  BOOST_TEST((e.value("fever") == "unknown"));
  BOOST_TEST(e.value("date") == "2026-11-23");

  const auto errors = parse_errors({});
  BOOST_TEST((error_fields(errors) == std::set<std::string>{"name", "phone"}));
}

BOOST_AUTO_TEST_CASE(name_rules) {
  only_error({{"phone", "0912345678"}}, "name");
  BOOST_TEST(only_error(with({{"phone", "0912345678"}}, "name", "   "), "name").message.find("required") !=
             std::string::npos);
  // 100 characters, most of them two or three bytes: the limit counts characters.
  std::string hundred;
  for (int i = 0; i < 25; ++i) hundred += "Đặng";
  BOOST_TEST(parse_ok({{"name", hundred}, {"phone", "0912345678"}}).value("name") == hundred);
  only_error({{"name", hundred + "a"}, {"phone", "0912345678"}}, "name");
  only_error({{"name", "Nguyễn\tAn"}, {"phone", "0912345678"}}, "name");
  only_error({{"name", "Nguyễn\nAn"}, {"phone", "0912345678"}}, "name");
}

BOOST_AUTO_TEST_CASE(an_nfd_name_is_stored_in_nfc) {
  // "Nguyễn Thị Ánh" decomposed: e + circumflex + tilde, i + dot below, A + acute.
  const std::string nfd = "Nguye\u0302\u0303n Thi\u0323 A\u0301nh";
  const auto d = parse_ok({{"name", nfd}, {"phone", "0912345678"}});
  BOOST_TEST(d.value("name") == "Nguyễn Thị Ánh");
  BOOST_TEST(ravao::text::is_nfc(d.value("name")));
  // NFD values of the closed lists match too.
  BOOST_TEST(parse_ok(with(minimal(), "sex", "nu\u031b\u0303")).value("sex") == "female");
  BOOST_TEST((parse_ok(with(minimal(), "fever", "kho\u0302ng")).value("fever") == "no"));
  BOOST_TEST((parse_ok(with(minimal(), "fever", "CO\u0301")).value("fever") == "yes"));
}

BOOST_AUTO_TEST_CASE(birth_forms_and_rules) {
  BOOST_TEST(parse_ok(with(minimal(), "birth", "1987")).value("birth") == "1987");
  BOOST_TEST(parse_ok(with(minimal(), "birth", "1987-03-05")).value("birth") == "1987-03-05");
  BOOST_TEST(parse_ok(with(minimal(), "birth", "05/03/1987")).value("birth") == "1987-03-05");
  BOOST_TEST(parse_ok(with(minimal(), "birth", "5/3/1987")).value("birth") == "1987-03-05");
  BOOST_TEST(parse_ok(with(minimal(), "birth", "29/02/2000")).value("birth") == "2000-02-29");
  BOOST_TEST(parse_ok(with(minimal(), "birth", "1900")).value("birth") == "1900");
  BOOST_TEST(parse_ok(with(minimal(), "birth", "2026")).value("birth") == "2026");
  BOOST_TEST(parse_ok(with(minimal(), "birth", "2026-11-23")).value("birth") == "2026-11-23");

  for (const char* bad : {"87", "19870", "1987/03/05", "03-05-1987", "1987-3-5", "05.03.1987", "abc", "1987-03-05x",
                          "//1987", "5/3/87"}) {
    BOOST_TEST_CONTEXT(bad) { only_error(with(minimal(), "birth", bad), "birth"); }
  }
  BOOST_TEST(only_error(with(minimal(), "birth", "29/02/1999"), "birth").message.find("calendar") !=
             std::string::npos);
  only_error(with(minimal(), "birth", "1987-13-01"), "birth");
  only_error(with(minimal(), "birth", "31/04/1987"), "birth");
  only_error(with(minimal(), "birth", "00/01/1987"), "birth");
  BOOST_TEST(only_error(with(minimal(), "birth", "1899"), "birth").message.find("1900") != std::string::npos);
  only_error(with(minimal(), "birth", "31/12/1899"), "birth");
  only_error(with(minimal(), "birth", "2027"), "birth");
  BOOST_TEST(only_error(with(minimal(), "birth", "2026-11-24"), "birth").message.find("after today") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(sex_values) {
  for (const char* male : {"nam", "Nam", "NAM", "male", "Male", "m", "M"}) {
    BOOST_TEST(parse_ok(with(minimal(), "sex", male)).value("sex") == "male");
  }
  for (const char* female : {"nữ", "Nữ", "NỮ", "nu", "female", "FEMALE", "f", "F"}) {
    BOOST_TEST(parse_ok(with(minimal(), "sex", female)).value("sex") == "female");
  }
  only_error(with(minimal(), "sex", "x"), "sex");
  only_error(with(minimal(), "sex", "nam nữ"), "sex");
}

BOOST_AUTO_TEST_CASE(id_numbers) {
  BOOST_TEST(parse_ok(with(minimal(), "id", "001099012345")).value("id") == "001099012345");
  BOOST_TEST(parse_ok(with(minimal(), "id", "001 099 012345")).value("id") == "001099012345");
  BOOST_TEST(parse_ok(with(minimal(), "id", "123456789")).value("id") == "123456789");
  BOOST_TEST(parse_ok(with(minimal(), "id", "c1234567")).value("id") == "C1234567");
  BOOST_TEST(parse_ok(with(minimal(), "id", "B12345678")).value("id") == "B12345678");
  for (const char* bad : {"12345678", "1234567890", "0010990123456", "C123456", "C123456789", "CC1234567",
                          "Đ1234567", "00109901234x", "-"}) {
    BOOST_TEST_CONTEXT(bad) { only_error(with(minimal(), "id", bad), "id"); }
  }
}

BOOST_AUTO_TEST_CASE(phone_normalisation) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"0912345678", "0912345678"},
      {"091 234 5678", "0912345678"},
      {"091.234.5678", "0912345678"},
      {"091-234-5678", "0912345678"},
      {"+84912345678", "0912345678"},
      {"+84 91 234 5678", "0912345678"},
      {"84912345678", "0912345678"},
      {"+84 0912 345 678", "0912345678"},
      {"0312345678", "0312345678"},
      {"0512345678", "0512345678"},
      {"0712345678", "0712345678"},
      {"0812345678", "0812345678"},
      {"024 3825 3536", "02438253536"},      // Hà Nội landline: 11 digits
      {"+84 236 3821 111", "02363821111"},  // Đà Nẵng landline
      {"842438253536", "02438253536"},
      {"+1 415 555 0100", "+14155550100"},
      {"+65-6123-4567", "+6561234567"},
      {"+4930123456", "+4930123456"},
  };
  for (const auto& [typed, stored] : cases) {
    BOOST_TEST_CONTEXT(typed) {
      BOOST_TEST(parse_ok({{"name", "An"}, {"phone", typed}}).value("phone") == stored);
    }
  }
  for (const char* bad : {"091234567", "09123456789", "0112345678", "0412345678", "0612345678", "1912345678",
                          "0212345678", "912345678", "+123456", "+1234567890123456", "0912 345 67a", "(091)2345678",
                          "09+12345678", "++84912345678", "+", "..."}) {
    BOOST_TEST_CONTEXT(bad) {
      const auto e = only_error({{"name", "An"}, {"phone", bad}}, "phone");
      // The number itself is personal data and never goes into a message.
      if (std::string_view(bad).size() >= 7) BOOST_TEST(e.message.find(bad) == std::string::npos);
    }
  }
  only_error({{"name", "An"}}, "phone");
}

BOOST_AUTO_TEST_CASE(address_other_and_nationality_are_bounded_free_text) {
  std::string address(300, 'a');
  BOOST_TEST(parse_ok(with(minimal(), "address", address)).value("address") == address);
  only_error(with(minimal(), "address", address + "b"), "address");
  only_error(with(minimal(), "other", std::string(301, 'x')), "other");
  BOOST_TEST(parse_ok(with(minimal(), "nationality", "Hàn Quốc")).value("nationality") == "Hàn Quốc");
  only_error(with(minimal(), "nationality", std::string(101, 'x')), "nationality");
  BOOST_TEST(parse_ok(with(minimal(), "address", "  Thôn 3,   xã Tân Phú ")).value("address") == "Thôn 3, xã Tân Phú");
}

BOOST_AUTO_TEST_CASE(yes_no_answers) {
  for (const char* name : {"fever", "cough", "breath", "throat", "taste", "contact", "travel"}) {
    BOOST_TEST_CONTEXT(name) {
      for (const char* yes : {"có", "Có", "co", "CO", "yes", "Y", "1"}) {
        const auto j = slip::to_json(parse_ok(with(minimal(), name, yes)));
        BOOST_TEST(j.at(name).as_string() == "yes");
      }
      for (const char* no : {"không", "KHÔNG", "khong", "no", "N", "0"}) {
        const auto j = slip::to_json(parse_ok(with(minimal(), name, no)));
        BOOST_TEST(j.at(name).as_string() == "no");
      }
      for (const char* bad : {"maybe", "2", "yes no", "ko"}) only_error(with(minimal(), name, bad), name);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_form_date_is_today_or_up_to_14_days_before) {
  BOOST_TEST(parse_ok(with(minimal(), "date", "2026-11-23")).value("date") == "2026-11-23");
  BOOST_TEST(parse_ok(with(minimal(), "date", "23/11/2026")).value("date") == "2026-11-23");
  BOOST_TEST(parse_ok(with(minimal(), "date", "9/11/2026")).value("date") == "2026-11-09");
  BOOST_TEST(only_error(with(minimal(), "date", "2026-11-24"), "date").message.find("after today") !=
             std::string::npos);
  BOOST_TEST(only_error(with(minimal(), "date", "2026-11-08"), "date").message.find("2026-11-09") !=
             std::string::npos);
  only_error(with(minimal(), "date", "2026-02-30"), "date");
  only_error(with(minimal(), "date", "2026"), "date");
  // Across a year boundary.
  auto r = slip::parse_declaration(with(minimal(), "date", "2025-12-20"), "2026-01-03");
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->value("date") == "2025-12-20");
}

BOOST_AUTO_TEST_CASE(a_bad_today_is_reported_not_guessed) {
  for (const char* bad : {"", "23/11/2026", "2026-02-30", "1970-01-01\x1b"}) {
    auto r = slip::parse_declaration(minimal(), bad);
    BOOST_REQUIRE(!r.has_value());
    BOOST_REQUIRE_EQUAL(r.error().size(), 1u);
    BOOST_TEST(r.error()[0].field == "date");
    BOOST_TEST(printable(r.error()[0].message));
  }
}

BOOST_AUTO_TEST_CASE(unknown_and_repeated_names_are_errors) {
  const auto e = only_error(with(minimal(), "hoten", "x"), "hoten");
  BOOST_TEST(e.message.find("unknown field") != std::string::npos);
  BOOST_TEST(e.message.find("name, birth") != std::string::npos);
  only_error(with(minimal(), "Name", "x"), "Name");
  BOOST_TEST(only_error(with(minimal(), "phone", "0912345678"), "phone").message.find("more than once") !=
             std::string::npos);
}

// Found by declaration_fuzz: "=VALUE" was reported under an empty field name.
BOOST_AUTO_TEST_CASE(regression_a_value_without_a_name_is_a_form_error_not_an_empty_field) {
  const auto e = only_error(with(minimal(), "", "x"), "form");
  BOOST_TEST(e.message.find("without a field name") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_error_is_reported_at_once) {
  const auto errors = parse_errors({
      {"name", "Nguyễn\x1b@An"},
      {"birth", "31/02/1990"},
      {"sex", "?"},
      {"id", "123"},
      {"phone", "12345"},
      {"fever", "maybe"},
      {"travel", "perhaps"},
      {"date", "2030-01-01"},
      {"colour", "red"},
      {"sex", "nam"},
  });
  BOOST_TEST(errors.size() == 10u);
  BOOST_TEST((error_fields(errors) ==
              std::set<std::string>{"name", "birth", "sex", "id", "phone", "fever", "travel", "date", "colour"}));
  for (const auto& e : errors) BOOST_TEST(printable(e.message), e.field << ": " << e.message);
  // Names first (in input order), then the fields in form order.
  BOOST_TEST(errors[0].field == "colour");
  BOOST_TEST(errors[1].field == "sex");
  BOOST_TEST(errors[2].field == "name");
  BOOST_TEST(errors.back().field == "date");
}

BOOST_AUTO_TEST_CASE(escpos_bytes_and_invisible_characters_are_refused) {
  // ESC @ (initialise), GS V (cut), GS ( k (QR), NUL, DEL, C1 CSI, bidi override, BOM, zero-width space.
  for (const std::string& hostile : {"An\x1b@"s, "An\x1dV\x42\x00"s, "An\x1d(k"s, "A\0n"s, "An\x7f"s,
                                     "An\xc2\x9b"s, "An\u202e"s, "\ufeffAn"s, "A\u200bn"s}) {
    BOOST_TEST_CONTEXT(ravao::text::escape_for_log(hostile)) {
      for (const char* field : {"name", "address", "other", "nationality", "phone", "id", "sex", "fever"}) {
        fields f = minimal();
        auto it = std::find_if(f.begin(), f.end(), [&](const auto& p) { return p.first == field; });
        if (it != f.end()) it->second = hostile;
        else f.emplace_back(field, hostile);
        const auto e = only_error(f, field);
        BOOST_TEST(e.message.find("control or invisible character") != std::string::npos);
        BOOST_TEST(printable(e.message));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_refused_with_its_position) {
  for (const std::string& bad : {"Nguy\xe1\xbb"s, "\xff"s, "An\xc0\xaf"s, "\xed\xa0\x80"s, "\xf4\x90\x80\x80"s}) {
    BOOST_TEST_CONTEXT(ravao::text::escape_for_log(bad)) {
      const auto e = only_error({{"name", bad}, {"phone", "0912345678"}}, "name");
      BOOST_TEST(e.message.find("UTF-8") != std::string::npos);
      BOOST_TEST(printable(e.message));
    }
  }
}

BOOST_AUTO_TEST_CASE(huge_values_and_hostile_names_are_refused_cheaply) {
  const std::string huge(8 << 20, 'A');
  const auto e = only_error({{"name", huge}, {"phone", "0912345678"}}, "name");
  BOOST_TEST(e.message.find("too long") != std::string::npos);
  BOOST_TEST(e.message.size() < 200u);

  // A field name is echoed only escaped and cut.
  const auto n =
      only_error(with(minimal(), "\x1b@" + std::string(1000, 'x'), "1"), "\\x1b@" + std::string(30, 'x') + "...");
  BOOST_TEST(printable(n.message));
  BOOST_TEST(n.message.size() < 300u);

  fields many = minimal();
  for (int i = 0; i < 1000; ++i) many.emplace_back("x", "y");
  const auto m = parse_errors(many);
  BOOST_REQUIRE_EQUAL(m.size(), 1u);
  BOOST_TEST(m[0].field == "form");
}

BOOST_AUTO_TEST_CASE(random_bytes_never_crash_and_every_message_is_printable) {
  std::mt19937 rng(20261123);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> len(0, 40);
  const std::vector<std::string> names = {"name", "birth", "sex", "nationality", "id", "phone", "address", "fever",
                                          "cough", "breath", "throat", "taste", "other", "contact", "travel", "date", "province", "ward"};
  for (int round = 0; round < 2000; ++round) {
    fields f;
    for (const auto& name : names) {
      if (byte(rng) < 128) continue;
      std::string v;
      const int n = len(rng);
      // Mostly ASCII digits and separators, sometimes any byte.
      for (int i = 0; i < n; ++i) {
        const int b = byte(rng);
        v += static_cast<char>(b < 200 ? "0123456789 ./-+abnNoý"[b % 21] : b);
      }
      f.emplace_back(name, v);
    }
    auto r = slip::parse_declaration(f, today);
    if (r) {
      BOOST_TEST(!r->value("name").empty());
      BOOST_TEST(!r->value("phone").empty());
      BOOST_TEST(printable(boost::json::serialize(slip::to_json(*r))));
    } else {
      for (const auto& e : r.error()) BOOST_TEST((printable(e.message) && printable(e.field)));
    }
  }
}

BOOST_AUTO_TEST_CASE(json_has_every_field_of_the_definition_in_its_order) {
  const auto d = parse_ok({
      {"name", "Trần Văn Bình"},
      {"birth", "1990"},
      {"sex", "m"},
      {"phone", "+84 912 345 678"},
      {"province", "Gia Lai"},
      {"fever", "có"},
      {"other", "đau đầu"},
      {"travel", "không"},
  });
  const boost::json::object j = slip::to_json(d);
  std::vector<std::string> keys;
  for (const auto& kv : j) keys.emplace_back(kv.key());
  const std::vector<std::string> order = {"name",  "birth", "sex",   "nationality", "id",    "phone",
                                          "province", "ward", "address", "fever",  "cough", "breath",
                                          "throat", "taste", "other", "contact", "travel", "date"};
  BOOST_TEST(keys == order, boost::test_tools::per_element());
  BOOST_TEST(j.at("name").as_string() == "Trần Văn Bình");
  BOOST_TEST(j.at("birth").as_string() == "1990");
  BOOST_TEST(j.at("sex").as_string() == "male");
  BOOST_TEST(j.at("nationality").as_string() == "Việt Nam");
  BOOST_TEST(j.at("id").as_string() == "");
  BOOST_TEST(j.at("phone").as_string() == "0912345678");
  BOOST_TEST(j.at("province").as_string() == "Gia Lai");
  BOOST_TEST(j.at("ward").as_string() == "");
  BOOST_TEST(j.at("address").as_string() == "");
  BOOST_TEST(j.at("fever").as_string() == "yes");
  BOOST_TEST(j.at("cough").as_string() == "unknown");
  BOOST_TEST(j.at("other").as_string() == "đau đầu");
  BOOST_TEST(j.at("contact").as_string() == "unknown");
  BOOST_TEST(j.at("travel").as_string() == "no");
  BOOST_TEST(j.at("date").as_string() == "2026-11-23");
}
