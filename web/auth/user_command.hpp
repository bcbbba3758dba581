#pragma once
// `ravao-web user ...`: account management for the provincial IT admin
// (docs/console.md, "Accounts"). ravao-web's main calls it for `user` after
// reading its configuration (`--config FILE`, to find state_dir):
//
//   ravao-web user add NAME --role staff|supervisor [--counter C]... [--password-stdin]
//   ravao-web user passwd NAME [--password-stdin]
//   ravao-web user disable NAME
//   ravao-web user enable NAME
//   ravao-web user list
//
// Passwords: on a terminal, asked twice with echo off (termios on stdin);
// with --password-stdin, one line read from stdin (no prompt, the newline
// dropped); otherwise an error. Run as root, users.json stays owned by the
// state folder's owner (account_store).
//
// Messages in English to stdout (results) and stderr (errors, prompts go to
// stderr too). Exit status: 0 done, 1 failed, 2 usage error.

#include <filesystem>
#include <span>
#include <string_view>

namespace ravao::web {

// `args`: the words after "user" (e.g. {"add", "alice", "--role", "staff",
// "--counter", "quay-1"}), with --config and its value already removed by
// the caller. `users_file`: STATE_DIR/users.json.
int run_user_command(std::span<const std::string_view> args, const std::filesystem::path& users_file);

// The usage text (for ravao-web --help).
std::string_view user_command_usage();

}  // namespace ravao::web
