#pragma once
// users.json, the accounts file (docs/console.md, "Accounts"): parsing and
// writing its text. No I/O here (account_store does the file); the parser is
// the fuzz target tests/fuzz/account_file_fuzz.cpp.
//
//   {"version":1,"users":[{"name":"alice","role":"staff","counters":["quay-1"],
//     "disabled":false,"hash":"$argon2id$...","created":"2026-12-04T10:00:00Z",
//     "changed":"2026-12-04T10:00:00Z"}]}
//
// The content is untrusted (a hand edit, a disk error): every key is checked,
// unknown keys and duplicate names are errors, and the error names the file
// and the user entry ("/var/lib/ravao-web/users.json: users[2] (\"bob\"):
// role: expected staff or supervisor").

#include <string>
#include <string_view>
#include <vector>

#include "web/auth/account.hpp"

namespace ravao::web {

// The largest accounts file read (a few thousand accounts).
inline constexpr std::size_t max_account_file_bytes = 1 << 20;

// `where` prefixes every error (the file's path).
result<std::vector<account>> parse_account_file(std::string_view text, std::string_view where);

// The file's text, one user per line, ending in a newline; parse_account_file
// reads it back to the same accounts.
std::string format_account_file(const std::vector<account>& accounts);

}  // namespace ravao::web
