// libFuzzer target for classify() and the text helpers it relies on.
// Invariants: classify is total; its text is valid UTF-8 in NFC; a person is
// present exactly for cccd and personal_qr and always has an upper-case
// ASCII id_number; flags are unique and non-empty; classifying the
// normalised text again gives the same answer. Masks (docs/privacy.md,
// "Masks"): an ID mask hides at least 7 characters (all of a shorter ID) and
// shows at most the last 2; a name mask has no separator but ASCII space and
// reduces every word but a short first one to an initial.

#include <algorithm>
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

// The name mask's shape: words separated by single ASCII spaces, no other
// separator (NBSP, ideographic space, zero-width space, BOM: the ones the
// audit of issue 18 used), every word after the first an initial and '.'.
bool is_name_mask(std::string_view m) {
  for (std::string_view sep : {"\xC2\xA0", "\xE3\x80\x80", "\xE2\x80\x8B", "\xEF\xBB\xBF", "\xE2\x80\x87", "  "})
    if (m.find(sep) != std::string_view::npos) return false;
  std::size_t words = 0;
  for (std::size_t pos = 0; pos <= m.size();) {
    const std::size_t end = std::min(m.find(' ', pos), m.size());
    const std::string_view w = m.substr(pos, end - pos);
    if (w.empty() && !m.empty()) return false;
    if (words++ > 0 && (!w.ends_with('.') || w.size() > 16)) return false;
    pos = end + 1;
  }
  return true;
}

bool is_id_mask(std::string_view id, std::string_view m) {
  const auto stars = static_cast<std::size_t>(std::count(m.begin(), m.end(), '*'));
  const std::size_t n = id.size();  // ASCII
  return m.size() == n && stars >= std::min(n, ravao::text::id_mask_min_hidden) && n - stars <= 2 &&
         m.substr(stars) == id.substr(stars);
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
    check(is_id_mask(p.who->id_number, ravao::text::mask_id(p.who->id_number)));
    check(is_name_mask(ravao::text::mask_name(p.who->full_name)));
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
  check(is_name_mask(ravao::text::mask_name(input)));
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
