#include "common/seal_window.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <stdexcept>

namespace ravao::seal {

window_sealer::window_sealer(const public_key& to, limits l) : to_(to), limits_(l) {
  if (sodium_init() < 0) std::abort();  // no random source: nothing can be sealed safely
  std::array<unsigned char, key_bytes> scalar{}, shared{};
  scalar[0] = 1;
  if (crypto_scalarmult(shared.data(), scalar.data(), to_.bytes.data()) != 0)
    throw std::invalid_argument("window_sealer: the public key is a point of small order");
  shared_ = static_cast<unsigned char*>(sodium_malloc(2 * key_bytes));
  if (shared_ == nullptr) throw std::bad_alloc();
  sodium_mprotect_noaccess(shared_);
}

window_sealer::~window_sealer() {
  sodium_mprotect_readwrite(shared_);
  sodium_free(shared_);  // zeroes the key before unmapping
}

void window_sealer::begin_window(clock::time_point now) {
  // The ephemeral secret lives in the locked region beside the shared key,
  // for the instant of the agreement.
  unsigned char* secret = shared_ + key_bytes;
  std::array<unsigned char, key_bytes> pub{};
  sodium_mprotect_readwrite(shared_);
  crypto_box_keypair(pub.data(), secret);
  // Fails only for a recipient key of small order, which the constructor refused.
  if (crypto_box_beforenm(shared_, to_.bytes.data(), secret) != 0) std::abort();
  sodium_memzero(secret, key_bytes);  // the shared key is all the window needs
  ephemeral_public_ = pub;
  ephemeral_public_[v2::marker_byte] |= v2::marker_bit;
  ends_ = now + limits_.window;
  sealed_ = 0;
  open_ = true;
}

void window_sealer::end_window() {
  sodium_memzero(shared_, key_bytes);
  sodium_mprotect_noaccess(shared_);
  sodium_memzero(ephemeral_public_.data(), ephemeral_public_.size());
  open_ = false;
}

std::string window_sealer::seal(std::string_view plaintext, clock::time_point now) {
  const std::lock_guard lock(mutex_);
  if (open_ && (now >= ends_ || sealed_ >= limits_.max_records)) end_window();
  if (!open_) begin_window(now);
  std::string out(v2::overhead_bytes + plaintext.size(), '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  std::copy(ephemeral_public_.begin(), ephemeral_public_.end(), bytes);
  bytes[v2::version_offset] = v2::version;
  randombytes_buf(bytes + v2::nonce_offset, v2::nonce_bytes);
  crypto_box_easy_afternm(bytes + v2::box_offset, reinterpret_cast<const unsigned char*>(plaintext.data()),
                          plaintext.size(), bytes + v2::nonce_offset, shared_);
  ++sealed_;
  if (sealed_ >= limits_.max_records) end_window();  // no need to keep a key that will not be used
  return out;
}

std::optional<window_sealer::clock::time_point> window_sealer::wipe_if_ended(clock::time_point now) {
  const std::lock_guard lock(mutex_);
  if (open_ && now >= ends_) end_window();
  if (!open_) return std::nullopt;
  return ends_;
}

bool window_sealer::holds_key() const {
  const std::lock_guard lock(mutex_);
  return open_;
}

}  // namespace ravao::seal
