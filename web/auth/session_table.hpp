#pragma once
// Console sessions (docs/console.md, "Accounts"): who is logged in from which
// browser. A session id is 256 random bits (randombytes_buf) as 64 lowercase
// hex characters, sent only in the ravao_session cookie; each session has its
// own 256-bit CSRF token (64 hex), sent in X-CSRF-Token on every POST.
//
// Timeouts: a session ends `idle` after its last use, and `absolute` after
// its creation whatever its use. find() touches the session (its last use is
// now). Login always creates a new session (never reuses an id a browser
// brings: no fixation).
//
// Lookup does not leak the id by timing: the table is keyed by a keyed hash
// (SipHash, a random key per table) of the id, and the id itself is compared
// with sodium_memcmp.
//
// Bounded: at most `max_sessions`; creating one more evicts the least
// recently used session. Thread-safe (one mutex); the time is injected.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "web/auth/account.hpp"
#include "web/auth/csrf.hpp"

namespace ravao::web {

struct session_policy {
  std::chrono::seconds idle{15 * 60};
  std::chrono::seconds absolute{12 * 60 * 60};
  std::size_t max_sessions = 512;
};

struct session {
  using clock = std::chrono::steady_clock;
  std::string id;    // 64 hex: the cookie value
  std::string csrf;  // 64 hex: X-CSRF-Token
  std::string user;
  web::role role = role::staff;
  std::vector<std::string> counters;  // the account's at login (staff)
  std::string address;                // the client's at login (for the log)
  clock::time_point created;
  clock::time_point last_used;
};

class session_table {
 public:
  using clock = session::clock;

  explicit session_table(session_policy policy = {});
  session_table(session_table&&) noexcept;
  session_table& operator=(session_table&&) noexcept;
  ~session_table();

  // A new session for the account (its name, role and counters are copied).
  session create(const account& a, std::string address, clock::time_point now);

  // The live session with this id, touched; nullopt when unknown, malformed
  // or timed out (a timed-out session is removed).
  std::optional<session> find(std::string_view id, clock::time_point now);

  bool remove(std::string_view id);             // logout
  std::size_t remove_user(std::string_view name);  // disabled, password changed
  std::size_t expire(clock::time_point now);    // drops timed-out sessions; how many
  std::size_t size() const;

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace ravao::web
