#include "web/auth/session_table.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include <sodium.h>

namespace ravao::web {
namespace {

constexpr std::size_t secret_bytes = 32;  // 256 bits
constexpr std::size_t secret_hex = 2 * secret_bytes;

std::string random_hex() {
  std::array<unsigned char, secret_bytes> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::string out(secret_hex + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
  out.pop_back();
  sodium_memzero(bytes.data(), bytes.size());
  return out;
}

// The shape of an id we issue; anything else is not looked up at all. The
// check depends only on the characters' classes, not on any stored id.
bool well_formed(std::string_view id) {
  return id.size() == secret_hex &&
         std::ranges::all_of(id, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

struct session_table::state {
  session_policy policy;
  mutable std::mutex mutex;
  std::array<unsigned char, crypto_shorthash_KEYBYTES> key{};
  std::unordered_map<std::uint64_t, session> sessions;  // by keyed hash of the id

  std::uint64_t slot_of(std::string_view id) const {
    std::array<unsigned char, crypto_shorthash_BYTES> h{};
    crypto_shorthash(h.data(), reinterpret_cast<const unsigned char*>(id.data()), id.size(), key.data());
    std::uint64_t v = 0;
    std::memcpy(&v, h.data(), sizeof v);
    return v;
  }

  bool timed_out(const session& s, clock::time_point now) const {
    return now - s.last_used >= policy.idle || now - s.created >= policy.absolute;
  }
};

session_table::session_table(session_policy policy) : state_(std::make_unique<state>()) {
  // sodium_init is idempotent and thread-safe; randombytes needs it first.
  if (sodium_init() < 0) std::abort();
  state_->policy = policy;
  randombytes_buf(state_->key.data(), state_->key.size());
}
session_table::session_table(session_table&&) noexcept = default;
session_table& session_table::operator=(session_table&&) noexcept = default;
session_table::~session_table() = default;

session session_table::create(const account& a, std::string address, clock::time_point now) {
  session s;
  s.csrf = random_hex();
  s.user = a.name;
  s.role = a.role;
  s.counters = a.counters;
  s.address = std::move(address);
  s.created = s.last_used = now;
  std::lock_guard lock(state_->mutex);
  auto& sessions = state_->sessions;
  const std::size_t bound = std::max<std::size_t>(state_->policy.max_sessions, 1);
  while (sessions.size() >= bound) {
    const auto oldest = std::ranges::min_element(sessions, {}, [](const auto& kv) { return kv.second.last_used; });
    sessions.erase(oldest);
  }
  std::uint64_t slot = 0;
  do {  // a 64-bit slot taken by another id: practically never
    s.id = random_hex();
    slot = state_->slot_of(s.id);
  } while (sessions.contains(slot));
  sessions.emplace(slot, s);
  return s;
}

std::optional<session> session_table::find(std::string_view id, clock::time_point now) {
  if (!well_formed(id)) return std::nullopt;
  std::lock_guard lock(state_->mutex);
  const auto it = state_->sessions.find(state_->slot_of(id));
  if (it == state_->sessions.end() || !secret_equal(it->second.id, id)) return std::nullopt;
  if (state_->timed_out(it->second, now)) {
    state_->sessions.erase(it);
    return std::nullopt;
  }
  it->second.last_used = now;
  return it->second;
}

bool session_table::remove(std::string_view id) {
  if (!well_formed(id)) return false;
  std::lock_guard lock(state_->mutex);
  const auto it = state_->sessions.find(state_->slot_of(id));
  if (it == state_->sessions.end() || !secret_equal(it->second.id, id)) return false;
  state_->sessions.erase(it);
  return true;
}

std::size_t session_table::remove_user(std::string_view name) {
  std::lock_guard lock(state_->mutex);
  return std::erase_if(state_->sessions, [&](const auto& kv) { return kv.second.user == name; });
}

std::size_t session_table::expire(clock::time_point now) {
  std::lock_guard lock(state_->mutex);
  return std::erase_if(state_->sessions, [&](const auto& kv) { return state_->timed_out(kv.second, now); });
}

std::size_t session_table::size() const {
  std::lock_guard lock(state_->mutex);
  return state_->sessions.size();
}

}  // namespace ravao::web
