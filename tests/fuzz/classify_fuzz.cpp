// libFuzzer target for classify() and the text helpers it relies on.
// Invariants: classify is total; its text is valid UTF-8 in NFC; a person is
// present exactly for cccd and personal_qr and always has an upper-case
// ASCII id_number; flags are unique and non-empty; classifying the
// normalised text again gives the same answer.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "common/text.hpp"
#include "payload/classify.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool is_clean_log_text(std::string_view s) {
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7F) return false;
  }
  return !ravao::text::first_invalid_utf8(s).has_value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using ravao::payload_kind;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const ravao::classified_payload p = ravao::classify(input);

  check(!ravao::text::first_invalid_utf8(p.text).has_value());
  check(p.has_flag("invalid_utf8") || ravao::text::is_nfc(p.text));
  const bool personal = p.kind == payload_kind::cccd || p.kind == payload_kind::personal_qr;
  check(personal == p.who.has_value());
  if (p.who) {
    check(!p.who->id_number.empty());
    for (char c : p.who->id_number) check((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'));
    check(!ravao::text::first_invalid_utf8(p.who->full_name).has_value());
    check(!ravao::text::first_invalid_utf8(p.who->address).has_value());
    check(is_clean_log_text(ravao::text::escape_for_log(ravao::text::mask_name(p.who->full_name))));
    check(ravao::text::mask_id(p.who->id_number).size() == p.who->id_number.size());
  }
  if (p.kind == payload_kind::cccd) check(p.who->id_number.size() == 12);
  check(p.kind == payload_kind::ravao_command || (p.command.empty() && p.command_arg.empty()));
  check((p.kind == payload_kind::ravao_command) == !p.command.empty());
  check((p.kind == payload_kind::ravao_slip) == !p.slip_number.empty());
  const bool opaque_flag = p.has_flag("invalid_utf8") || p.has_flag("unrecognised") ||
                           p.has_flag("unknown_ravao_code");
  check(opaque_flag == (p.kind == payload_kind::opaque));
  const std::set<std::string_view> unique(p.flags.begin(), p.flags.end());
  check(unique.size() == p.flags.size());
  for (const auto& f : p.flags) check(!f.empty());

  // Text helpers are total on arbitrary bytes and produce valid UTF-8.
  check(is_clean_log_text(ravao::text::escape_for_log(input, size)));
  check(!ravao::text::first_invalid_utf8(ravao::text::mask_name(input)).has_value());
  check(!ravao::text::first_invalid_utf8(ravao::text::mask_id(input)).has_value());
  check(!ravao::text::first_invalid_utf8(ravao::text::to_upper(input)).has_value());
  check(ravao::text::hex_prefix(input, size).size() == 2 * size);

  // Idempotence, unless the text still starts with a (second) BOM or ends
  // with a line end that classify would strip on the next pass.
  if (!p.has_flag("invalid_utf8") && !p.text.starts_with("\xEF\xBB\xBF") &&
      !p.text.ends_with('\r') && !p.text.ends_with('\n')) {
    const ravao::classified_payload again = ravao::classify(p.text);
    check(again.kind == p.kind);
    check(again.text == p.text);
    check(again.who.has_value() == p.who.has_value());
    if (p.who) check(again.who->id_number == p.who->id_number);
  }
  return 0;
}
