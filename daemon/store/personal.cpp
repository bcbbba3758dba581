// What of a scan is personal, its sealed form, and the clear forms the store
// keeps instead: the masks, and the keyed hash of the ID number
// (store/hash_keys.cpp; docs/privacy.md).

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/text.hpp"
#include "store/store_connection.hpp"

namespace ravao {
namespace {

std::string date_text(const std::optional<civil_date>& d) {
  if (!d) return {};
  return fmt::format("{:04}-{:02}-{:02}", d->year, d->month, d->day);
}

}  // namespace

bool carries_personal_data(const classified_payload& p) {
  if (p.who) return true;
  if (p.kind == payload_kind::ravao_command || p.kind == payload_kind::ravao_slip) return false;
  return !p.text.empty();
}

std::string person_plaintext(const classified_payload& p) {
  if (!carries_personal_data(p)) return {};
  boost::json::object o;
  if (p.who) {
    const person& w = *p.who;
    if (!w.id_number.empty()) o["id_number"] = w.id_number;
    if (!w.full_name.empty()) o["name"] = w.full_name;
    if (w.birth_date) o["birth_date"] = date_text(w.birth_date);
    if (w.sex_ != sex::unknown) o["sex"] = std::string(to_string(w.sex_));
    if (!w.address.empty()) o["address"] = w.address;
    if (!w.old_id_number.empty()) o["old_id_number"] = w.old_id_number;
    if (w.issue_date) o["issue_date"] = date_text(w.issue_date);
  } else {
    o["payload"] = p.text;
  }
  return boost::json::serialize(o);
}

std::string seal_person(const classified_payload& p, seal::window_sealer& sealer) {
  const std::string plain = person_plaintext(p);
  if (plain.empty()) return {};
  return sealer.seal(plain);
}

std::string declaration_plaintext(std::string_view id_number, std::string_view name,
                                  std::string_view declaration_json) {
  boost::json::object o;
  if (!id_number.empty()) o["id_number"] = id_number;
  if (!name.empty()) o["name"] = name;
  boost::system::error_code ec;
  auto v = boost::json::parse(declaration_json, ec);
  if (!ec && v.is_object()) {
    const auto& d = v.as_object();
    const auto copy = [&](std::string_view from, std::string_view to) {
      if (const auto* x = d.if_contains(from); x && x->is_string() && !x->as_string().empty()) o[to] = *x;
    };
    copy("phone", "phone");
    copy("address", "address");
    copy("sex", "sex");
    // birth_date is a full date on the wire; a declared year alone stays in the answers.
    if (const auto* b = d.if_contains("birth"); b && b->is_string() && b->as_string().size() == 10) o["birth_date"] = *b;
    o["declaration"] = v;
  } else if (!declaration_json.empty()) {
    o["declaration_text"] = declaration_json;
  }
  return boost::json::serialize(o);
}

std::string recent_key(std::string_view counter_id, std::string_view person_key, std::string_view text) {
  std::string key;
  key.reserve(counter_id.size() + 4 + (person_key.empty() ? text.size() : person_key.size()));
  key += counter_id;
  key += '\x1f';
  if (!person_key.empty()) {
    key += "id:";
    key += person_key;
  } else {
    key += "tx:";
    key += text;
  }
  return key;
}

person_keys masks_of(std::string_view id_number, std::string_view full_name) {
  person_keys k;
  if (!id_number.empty()) k.id_masked = text::mask_id(id_number);
  k.name_masked = text::mask_name(full_name);
  return k;
}

}  // namespace ravao
