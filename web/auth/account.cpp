#include "web/auth/account.hpp"

#include <algorithm>
#include <set>

#include "common/text.hpp"

namespace ravao::web {
namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

}  // namespace

std::string_view to_string(role r) { return r == role::supervisor ? "supervisor" : "staff"; }

result<role> parse_role(std::string_view text) {
  if (text == "staff") return role::staff;
  if (text == "supervisor") return role::supervisor;
  return fail(errc::invalid_argument, "role \"" + text::escape_for_log(text, 32) + "\": expected staff or supervisor");
}

bool valid_user_name(std::string_view name) {
  return !name.empty() && name.size() <= 32 && std::ranges::all_of(name, name_char);
}

bool valid_counter_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  if (id.front() == '.' || id.front() == '_' || id.front() == '-') return false;
  return std::ranges::all_of(id, name_char);
}

result<void> check_password(std::string_view password) {
  if (password.size() > 128) return fail(errc::invalid_argument, "password too long (at most 128 bytes)");
  if (text::first_control(password))
    return fail(errc::invalid_argument, "password holds a control character or is not UTF-8 text");
  const auto code_points = std::ranges::count_if(password, [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  });
  if (code_points < 6) return fail(errc::invalid_argument, "password too short (at least 6 characters)");
  return {};
}

result<void> check_account(const account& a) {
  if (!valid_user_name(a.name))
    return fail(errc::invalid_argument, "name \"" + text::escape_for_log(a.name, 40) +
                                            "\": expected 1 to 32 of a-z 0-9 . _ -");
  std::set<std::string_view> seen;
  for (const auto& c : a.counters) {
    if (!valid_counter_id(c))
      return fail(errc::invalid_argument, "counter \"" + text::escape_for_log(c, 70) +
                                              "\": expected a counter id of ravao.toml ([a-z0-9][a-z0-9._-]{0,63})");
    if (!seen.insert(c).second) return fail(errc::invalid_argument, "counter \"" + c + "\" listed twice");
  }
  if (a.role == role::staff && a.counters.empty())
    return fail(errc::invalid_argument, "a staff account needs at least one counter (--counter ID)");
  if (a.role == role::supervisor && !a.counters.empty())
    return fail(errc::invalid_argument, "a supervisor sees every counter: give no counter");
  if (!a.hash.starts_with("$argon2id$") || a.hash.size() > 256 || text::first_control(a.hash))
    return fail(errc::invalid_argument, "hash: expected an Argon2id hash (\"$argon2id$...\")");
  return {};
}

}  // namespace ravao::web
