#pragma once
// The accounts of ravao-web, kept in STATE_DIR/users.json (account_file.hpp).
//
// File rules: mode 0600; open() refuses a file that group or others may read
// or write, a symbolic link, a file over 1 MiB or one that does not parse,
// with an error that says what to do. Every change rewrites the whole file
// atomically: a temporary file in the same folder (mode 0600; when run as
// root, chowned to the folder's owner and group so the service user keeps
// owning it), fsync, rename over users.json, fsync of the folder. A crash
// leaves the old or the new file, never a mix.
//
// Thread safety: every member is safe to call from several threads (one
// mutex). verify() holds the mutex only to copy the hash, not while Argon2id
// runs (~50-100 ms, 64 MiB: websrv calls it on a small thread pool, never on
// the network thread).

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "web/auth/account.hpp"

namespace ravao::web {

// crypto_pwhash_str (Argon2id, OPSLIMIT_INTERACTIVE, MEMLIMIT_INTERACTIVE).
// Fails only when the password breaks check_password() or memory is short.
result<std::string> hash_password(std::string_view password);

class account_store {
 public:
  // Reads `path` (users.json). A missing file is an empty store (the first
  // `user add` creates it); its folder must exist.
  static result<account_store> open(std::filesystem::path path);

  account_store(account_store&&) noexcept;
  account_store& operator=(account_store&&) noexcept;
  ~account_store();

  const std::filesystem::path& path() const;

  std::optional<account> find(std::string_view name) const;
  std::vector<account> list() const;  // sorted by name

  // Each change is saved before it returns; on a failed save the store in
  // memory is unchanged. Errors: errc::invalid_argument (bad name, role,
  // counters or password; add: the name exists), errc::not_found (no such
  // user), or the system error of the failed write.
  result<account> add(std::string_view name, role r, std::vector<std::string> counters,
                      std::string_view password);
  result<void> set_password(std::string_view name, std::string_view password);
  result<void> set_disabled(std::string_view name, bool disabled);

  // Checks a login. Unknown names are verified against a dummy hash of the
  // same cost, so an unknown name takes as long as a wrong password (user
  // names cannot be probed by timing); a disabled account is verified too.
  // Errors, by code:
  //   std::errc::permission_denied       unknown name or wrong password
  //                                      (one message for both)
  //   std::errc::operation_not_permitted right password, account disabled
  // The account returned never carries its hash (empty `hash`).
  result<account> verify(std::string_view name, std::string_view password) const;

  // Reads users.json again when it changed on disk (another process, e.g.
  // `ravao-web user disable`, rewrote it: inode, size or mtime differ).
  // Returns the names whose sessions must end: accounts removed, disabled,
  // or whose password, role or counters changed. On an error (the new file
  // is unreadable or invalid) the accounts in memory are kept and the error
  // is returned, every call until the file is fixed.
  result<std::vector<std::string>> refresh();

 private:
  struct state;
  explicit account_store(std::unique_ptr<state> s);
  std::unique_ptr<state> state_;
};

}  // namespace ravao::web
