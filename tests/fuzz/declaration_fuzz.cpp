// libFuzzer target: parse_declaration() (daemon/slip/declaration.*), what
// staff type for `ravaoctl declare`, untrusted. Input: the first byte picks
// "today"; the rest is NAME=VALUE lines ('\n' between pairs, the first '='
// splits). It must never crash, hang or throw. A refusal names a field and
// says why, and never repeats a personal value (docs/declarations.md). An
// accepted declaration keeps every rule of docs/declarations.md (checked here
// independently), its JSON round-trips, and it is a fixed point: typed in
// again, its own fields give the same declaration.
// Seeds: tests/fuzz/corpus/declaration/.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "slip/declaration.hpp"

namespace {

namespace slip = ravao::slip;
using fields = std::vector<std::pair<std::string, std::string>>;

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "declaration_fuzz: invariant violated: %s\n", what);
  std::abort();
}

bool digits(std::string_view s, std::size_t n) {
  return s.size() == n && std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; });
}

bool iso_date(std::string_view s) {
  return s.size() == 10 && digits(s.substr(0, 4), 4) && s[4] == '-' && digits(s.substr(5, 2), 2) && s[7] == '-' &&
         digits(s.substr(8, 2), 2);
}

// Free text as stored: no control bytes, no leading, trailing or doubled spaces.
bool tidy(std::string_view s) {
  if (std::ranges::any_of(s, [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) return false;
  return !s.starts_with(' ') && !s.ends_with(' ') && s.find("  ") == std::string_view::npos;
}

std::size_t chars(std::string_view s) {
  return static_cast<std::size_t>(std::ranges::count_if(s, [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool valid_phone(std::string_view p) {
  if (p.starts_with('+')) return p.size() >= 8 && p.size() <= 16 && digits(p.substr(1), p.size() - 1);
  if (p.starts_with("02")) return digits(p, 11);
  return digits(p, 10) && p[0] == '0' && std::string_view("35789").find(p[1]) != std::string_view::npos;
}

bool valid_id(std::string_view id) {
  if (id.empty() || digits(id, 12) || digits(id, 9)) return true;
  return (id.size() == 8 || id.size() == 9) && id[0] >= 'A' && id[0] <= 'Z' && digits(id.substr(1), id.size() - 1);
}

std::string_view yes_no(slip::yes_no_unknown v) {
  return v == slip::yes_no_unknown::yes ? "yes" : v == slip::yes_no_unknown::no ? "no" : "";
}

void check(const slip::declaration& d, std::string_view today) {
  require(!d.full_name.empty() && chars(d.full_name) <= 100 && tidy(d.full_name), "name: 1..100 tidy characters");
  require(valid_phone(d.phone), "phone: national 0[35789]+8 digits, 02+9 digits, or + and 7..15 digits");
  require(valid_id(d.id_number), "id: 12 or 9 digits, or a passport number");
  require(d.sex.empty() || d.sex == "male" || d.sex == "female", "sex: male, female or unknown");
  require(d.birth.empty() || digits(d.birth, 4) || iso_date(d.birth), "birth: YYYY or YYYY-MM-DD");
  require(d.birth.empty() || (d.birth.substr(0, 4) >= "1900" && d.birth.substr(0, 4) <= today.substr(0, 4)),
          "birth: from 1900 to this year");
  require(d.birth.size() != 10 || d.birth <= today, "birth: not after today");
  require(iso_date(d.declared_on) && d.declared_on <= today, "date: YYYY-MM-DD, not after today");
  require(tidy(d.nationality) && chars(d.nationality) <= 100, "nationality: tidy, at most 100 characters");
  require(tidy(d.address) && chars(d.address) <= 300, "address: tidy, at most 300 characters");
  require(tidy(d.other_symptoms) && chars(d.other_symptoms) <= 300, "other: tidy, at most 300 characters");

  const auto text = boost::json::serialize(slip::to_json(d));
  boost::system::error_code ec;
  const auto v = boost::json::parse(text, ec);
  require(!ec && v.is_object() && v.as_object().at("name").as_string() == d.full_name, "the JSON round-trips");

  fields again{{"name", d.full_name}, {"phone", d.phone}, {"date", d.declared_on}, {"nationality", d.nationality}};
  const auto add = [&](const char* name, std::string_view value) {
    if (!value.empty()) again.emplace_back(name, std::string(value));
  };
  add("birth", d.birth);
  add("sex", d.sex);
  add("id", d.id_number);
  add("address", d.address);
  add("other", d.other_symptoms);
  add("fever", yes_no(d.fever));
  add("cough", yes_no(d.cough));
  add("breath", yes_no(d.short_breath));
  add("throat", yes_no(d.sore_throat));
  add("taste", yes_no(d.lost_taste_smell));
  add("contact", yes_no(d.contact));
  add("travel", yes_no(d.travel));
  const auto r = slip::parse_declaration(again, today);
  require(r.has_value(), "a declaration's own fields are accepted again");
  require(boost::json::serialize(slip::to_json(*r)) == text, "a declaration is a fixed point of parsing");
}

// Personal values (non-ASCII text of a few characters: names, addresses)
// never appear in the errors about their field. Only the free-text and
// personal fields are checked: the rules of sex and the yes/no answers quote
// Vietnamese words, and an unknown field's error echoes its name (documented).
void check_refusal(const fields& f, const std::vector<slip::field_error>& errors) {
  require(!errors.empty(), "a refusal has errors");
  constexpr std::array personal{"name", "birth", "nationality", "id", "phone", "address", "other", "date"};
  for (const auto& e : errors) {
    require(!e.field.empty() && !e.message.empty(), "an error names a field and says why");
    if (std::ranges::find(personal, e.field) == personal.end()) continue;
    for (const auto& [name, value] : f) {
      if (name != e.field || value.size() < 6) continue;
      if (std::ranges::none_of(value, [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) continue;
      if (e.message.find(value) != std::string::npos) {
        std::fprintf(stderr, "field %s: \"%s\" repeats its value\n", e.field.c_str(), e.message.c_str());
        require(false, "an error message never repeats a value");
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // Today: an ordinary day, the day after a leap day's month, New Year's Eve.
  constexpr std::array todays{"2026-01-03", "2024-03-01", "2025-12-31", "2028-02-29"};
  const std::string_view today = todays[data[0] % todays.size()];
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  fields f;
  for (std::size_t pos = 0; pos <= in.size();) {
    const std::size_t end = std::min(in.find('\n', pos), in.size());
    const std::string_view line = in.substr(pos, end - pos);
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) f.emplace_back(std::string(line), std::string());
    else f.emplace_back(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
    pos = end + 1;
  }
  const auto r = slip::parse_declaration(f, today);
  if (r) check(*r, today);
  else check_refusal(f, r.error());
  return 0;
}
