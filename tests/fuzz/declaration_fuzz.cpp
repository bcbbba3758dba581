// libFuzzer target: parse_declaration() (daemon/slip/declaration.*), what
// staff type for `ravaoctl declare`, untrusted. Input: the first byte picks
// "today"; the rest is NAME=VALUE lines ('\n' between pairs, the first '='
// splits). It must never crash, hang or throw. A refusal names a field and
// says why, and never repeats a personal value (docs/declarations.md). An
// accepted declaration keeps every rule of docs/declarations.md (checked here
// independently), its JSON round-trips, and it is a fixed point: typed in
// again, its own fields give the same declaration.
// Input starting with byte 0xFF is a form definition's JSON instead
// (form_from_json, as a print job stores it).
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

void check(const slip::declaration& d, std::string_view today) {
  const auto v = [&](const char* name) { return d.value(name); };
  require(!v("name").empty() && chars(v("name")) <= 100 && tidy(v("name")), "name: 1..100 tidy characters");
  require(d.person_name == v("name") && d.person_id == v("id"), "the record's person is the name and id fields");
  require(valid_phone(v("phone")), "phone: national 0[35789]+8 digits, 02+9 digits, or + and 7..15 digits");
  require(valid_id(v("id")), "id: 12 or 9 digits, or a passport number");
  require(v("sex").empty() || v("sex") == "male" || v("sex") == "female", "sex: male, female or unknown");
  const std::string_view birth = v("birth");
  require(birth.empty() || digits(birth, 4) || iso_date(birth), "birth: YYYY or YYYY-MM-DD");
  require(birth.empty() || (birth.substr(0, 4) >= "1900" && birth.substr(0, 4) <= today.substr(0, 4)),
          "birth: from 1900 to this year");
  require(birth.size() != 10 || birth <= today, "birth: not after today");
  require(iso_date(v("date")) && v("date") <= today, "date: YYYY-MM-DD, not after today");
  for (const char* name : {"nationality", "province", "ward"})
    require(tidy(v(name)) && chars(v(name)) <= 100, "text: tidy, at most 100 characters");
  for (const char* name : {"address", "other"})
    require(tidy(v(name)) && chars(v(name)) <= 300, "textarea: tidy, at most 300 characters");
  for (const char* name : {"fever", "cough", "breath", "throat", "taste", "contact", "travel"})
    require(v(name) == "yes" || v(name) == "no" || v(name) == "unknown", "yes_no: yes, no or unknown");

  const auto text = boost::json::serialize(slip::to_json(d));
  boost::system::error_code ec;
  const auto parsed = boost::json::parse(text, ec);
  require(!ec && parsed.is_object() && parsed.as_object().at("name").as_string() == v("name"), "the JSON round-trips");
  require(parsed.as_object().size() == slip::default_form().fields.size(), "the JSON has every field of the form");

  // Typed in again, every stored value (but the "not answered" ones) gives
  // the same declaration.
  fields again;
  for (const auto& [name, value] : d.values)
    if (!value.empty() && value != "unknown") again.emplace_back(name, value);
  const auto r = slip::parse_declaration(again, today);
  require(r.has_value(), "a declaration's own fields are accepted again");
  require(boost::json::serialize(slip::to_json(*r)) == text, "a declaration is a fixed point of parsing");
}

// A form definition as stored with a print job (untrusted): read back, it
// must be a definition check_form accepts, that survives its own JSON, and
// that validates an empty form without crashing.
void check_definition(std::string_view in) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(in, ec);
  if (ec) return;
  const auto d = slip::form_from_json(v);
  if (!d) return;
  require(slip::check_form(*d).empty(), "a definition read back keeps the rules");
  const auto again = slip::form_from_json(slip::to_json(*d));
  require(again.has_value() && slip::to_json(*again) == slip::to_json(*d), "a definition's JSON round-trips");
  const auto r = slip::parse_declaration(*d, {{"name", "An"}}, "2026-01-03");
  if (!r) require(!r.error().empty() && !r.error()[0].message_vi.empty(), "a refusal says why, in Vietnamese too");
}

// Personal values (non-ASCII text of a few characters: names, addresses)
// never appear in the errors about their field. Only the free-text and
// personal fields are checked: the rules of sex and the yes/no answers quote
// Vietnamese words, and an unknown field's error echoes its name (documented).
void check_refusal(const fields& f, const std::vector<slip::field_error>& errors) {
  require(!errors.empty(), "a refusal has errors");
  constexpr std::array personal{"name", "birth", "nationality", "id", "phone", "province", "ward", "address", "other", "date"};
  for (const auto& e : errors) {
    require(!e.field.empty() && !e.message.empty() && !e.message_vi.empty(), "an error names a field and says why");
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
  // A first byte of 0xFF: the rest is a stored form definition (JSON).
  if (data[0] == 0xFF) {
    check_definition(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
    return 0;
  }
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
