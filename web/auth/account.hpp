#pragma once
// A console account (docs/console.md, "Accounts"): who may log in to
// ravao-web, with which role, at which counters. Plain data; the rules for
// names, counters and passwords live here so the file parser, the CLI and the
// store check exactly the same thing.

#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace ravao::web {

// staff: bound to one or more counters, sees only those.
// supervisor: every counter, the supervisor page.
enum class role { staff, supervisor };

std::string_view to_string(role r);
result<role> parse_role(std::string_view text);  // "staff" | "supervisor"

struct account {
  std::string name;                   // [a-z0-9._-]{1,32}
  web::role role = role::staff;
  std::vector<std::string> counters;  // staff: >= 1 counter id; supervisor: empty
  bool disabled = false;
  std::string hash;                   // crypto_pwhash_str output ("$argon2id$v=19$m=...")
  std::string created;                // UTC, "2026-12-04T10:00:00Z"
  std::string changed;                // idem: the last password, role or disabled change
};

// [a-z0-9._-]{1,32}
bool valid_user_name(std::string_view name);
// A counter id as ravao.toml spells it: [a-z0-9][a-z0-9._-]{0,63}
bool valid_counter_id(std::string_view id);
// At least 6 characters (UTF-8 code points), at most 128 bytes, no control
// characters. The error says which rule in words for the admin.
result<void> check_password(std::string_view password);
// The account as a whole: name, counters (staff: at least one, no
// duplicates; supervisor: none), a hash that starts with "$argon2id$".
result<void> check_account(const account& a);

}  // namespace ravao::web
