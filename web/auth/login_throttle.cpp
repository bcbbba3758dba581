#include "web/auth/login_throttle.hpp"

#include <algorithm>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/log.hpp"
#include "common/text.hpp"

namespace ravao::web {
namespace {

using clock = login_throttle::clock;

struct entry {
  std::string key;  // "u:NAME" or "a:ADDRESS"
  int failures = 0;
  clock::time_point last_failure;
};

// Keys are bounded too: a name or address longer than this is cut.
constexpr std::size_t max_key_bytes = 64;

std::string key_of(char kind, std::string_view text) {
  std::string k{kind, ':'};
  k.append(text.substr(0, max_key_bytes));
  return k;
}

}  // namespace

struct login_throttle::state {
  throttle_policy policy;
  mutable std::mutex mutex;
  std::list<entry> lru;  // most recently failed first
  std::unordered_map<std::string, std::list<entry>::iterator> index;

  // The key's entry, or null when unknown or forgotten (quiet long enough).
  entry* lookup(const std::string& key, clock::time_point now) {
    const auto it = index.find(key);
    if (it == index.end()) return nullptr;
    if (now - it->second->last_failure >= policy.forget_after) {
      lru.erase(it->second);
      index.erase(it);
      return nullptr;
    }
    return &*it->second;
  }

  clock::duration delay_after(int failures, int free) const {
    if (failures <= free) return clock::duration::zero();
    const int doublings = std::min(failures - free - 1, 30);
    const auto delay = policy.first_delay * (std::int64_t{1} << doublings);
    return std::min<clock::duration>(delay, policy.max_delay);
  }

  clock::duration wait_for(const std::string& key, int free, clock::time_point now) {
    const entry* e = lookup(key, now);
    if (!e) return clock::duration::zero();
    return std::max(clock::duration::zero(), e->last_failure + delay_after(e->failures, free) - now);
  }

  int count_failure(std::string key, clock::time_point now) {
    entry* e = lookup(key, now);
    if (!e) {
      lru.push_front(entry{key, 0, now});
      index.emplace(std::move(key), lru.begin());
      while (lru.size() > std::max<std::size_t>(policy.max_entries, 2)) {
        index.erase(lru.back().key);
        lru.pop_back();
      }
      e = &lru.front();
    } else {
      lru.splice(lru.begin(), lru, index.at(e->key));
    }
    ++e->failures;
    e->last_failure = now;
    return e->failures;
  }

  int failures_of(const std::string& key) const {
    const auto it = index.find(key);
    return it == index.end() ? 0 : it->second->failures;
  }
};

login_throttle::login_throttle(throttle_policy policy) : state_(std::make_unique<state>()) {
  state_->policy = policy;
}
login_throttle::login_throttle(login_throttle&&) noexcept = default;
login_throttle& login_throttle::operator=(login_throttle&&) noexcept = default;
login_throttle::~login_throttle() = default;

std::optional<clock::duration> login_throttle::check(std::string_view user, std::string_view address,
                                                     clock::time_point now) {
  std::lock_guard lock(state_->mutex);
  const std::string user_key = key_of('u', user);
  const std::string address_key = key_of('a', address);
  const auto wait = std::max(state_->wait_for(user_key, state_->policy.account_free_failures, now),
                             state_->wait_for(address_key, state_->policy.address_free_failures, now));
  if (wait <= clock::duration::zero()) return std::nullopt;
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(wait);
  log::warning("web.login_throttled", "login refused until the delay after failed logins has passed",
               {{"user", text::escape_for_log(user, 32)},
                {"address", text::escape_for_log(address, 64)},
                {"failures", std::to_string(std::max(state_->failures_of(user_key), state_->failures_of(address_key)))},
                {"wait_s", std::to_string(seconds.count())}});
  return seconds;
}

void login_throttle::failed(std::string_view user, std::string_view address, clock::time_point now) {
  std::lock_guard lock(state_->mutex);
  const int failures = state_->count_failure(key_of('u', user), now);
  const int from_address = state_->count_failure(key_of('a', address), now);
  const auto wait = std::max(state_->delay_after(failures, state_->policy.account_free_failures),
                             state_->delay_after(from_address, state_->policy.address_free_failures));
  log::warning("web.login_failed", "wrong user name or password, or a disabled account",
               {{"user", text::escape_for_log(user, 32)},
                {"address", text::escape_for_log(address, 64)},
                {"failures", std::to_string(failures)},
                {"wait_s", std::to_string(std::chrono::ceil<std::chrono::seconds>(wait).count())}});
}

void login_throttle::succeeded(std::string_view user, std::string_view /*address*/) {
  std::lock_guard lock(state_->mutex);
  const auto it = state_->index.find(key_of('u', user));
  if (it == state_->index.end()) return;
  state_->lru.erase(it->second);
  state_->index.erase(it);
}

std::size_t login_throttle::tracked() const {
  std::lock_guard lock(state_->mutex);
  return state_->lru.size();
}

}  // namespace ravao::web
