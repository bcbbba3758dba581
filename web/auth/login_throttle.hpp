#pragma once
// Login throttling (docs/console.md, "Accounts"): growing delays per account
// and per address, so a password cannot be guessed by trying many, against
// one account or across many accounts from one address.
//
// Each key (an account name as typed, a client address) counts its failures.
// The first `free_failures` cost nothing; the next one locks the key for
// `first_delay`, and every further failure doubles it, up to `max_delay`. A
// key with no failure for `forget_after` is forgotten. A login is allowed
// when neither its account nor its address is locked; check() returns the
// longer wait.
//
// A success forgets the account's failures, not the address's: an address
// shared by a branch (NAT) has a larger allowance instead, and a person who
// knows one password cannot reset the address's count to spray others.
//
// Memory is bounded: at most `max_entries` keys; a new key evicts the least
// recently used one.
//
// Pure logic with the time injected (steady_clock time points); thread-safe
// (one mutex). Logs `web.login_failed` (failed()) and `web.login_throttled`
// (check() when it refuses), fields user, address, failures, wait_s.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

namespace ravao::web {

struct throttle_policy {
  int account_free_failures = 3;
  int address_free_failures = 10;
  std::chrono::seconds first_delay{1};
  std::chrono::seconds max_delay{15 * 60};
  std::chrono::seconds forget_after{60 * 60};
  std::size_t max_entries = 10000;
};

class login_throttle {
 public:
  using clock = std::chrono::steady_clock;

  explicit login_throttle(throttle_policy policy = {});
  login_throttle(login_throttle&&) noexcept;
  login_throttle& operator=(login_throttle&&) noexcept;
  ~login_throttle();

  // nullopt: try the password. Else how long the client must wait (> 0,
  // whole seconds rounded up: the Retry-After value); the password must not
  // be checked.
  std::optional<clock::duration> check(std::string_view user, std::string_view address, clock::time_point now);

  // A wrong name or password (or a disabled account): counts for both keys.
  void failed(std::string_view user, std::string_view address, clock::time_point now);

  // A good login: forgets the account's failures.
  void succeeded(std::string_view user, std::string_view address);

  std::size_t tracked() const;  // keys held (accounts + addresses)

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace ravao::web
