#include "common/seal_opener.hpp"

#include <sodium.h>

#include <algorithm>

namespace ravao::seal {

namespace {

const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

batch_opener::~batch_opener() {
  sodium_memzero(shared_.data(), shared_.size());
  sodium_memzero(keys_.secret.data(), keys_.secret.size());
}

result<std::string> batch_opener::open(std::string_view sealed) {
  static const bool ready = sodium_init() >= 0;  // thread-safe and idempotent
  if (!ready) return fail(errc::invalid_argument, "libsodium could not be initialised");
  auto format = format_of(sealed);
  if (!format) return std::unexpected(format.error());
  if (*format == sealed_format::v1) return seal::open(keys_, sealed);  // one agreement per record anyway
  std::array<unsigned char, key_bytes> ephemeral{};
  std::copy_n(bytes_of(sealed), key_bytes, ephemeral.data());
  ephemeral[v2::marker_byte] &= static_cast<unsigned char>(~v2::marker_bit);
  if (!have_shared_ || ephemeral != ephemeral_) {
    have_shared_ = false;
    sodium_memzero(shared_.data(), shared_.size());
    // The same agreement as seal::open (X25519, then HSalsa20); it refuses
    // a small-order ephemeral key.
    if (crypto_box_beforenm(shared_.data(), ephemeral.data(), keys_.secret.data()) != 0)
      return fail(errc::invalid_argument, "sealed data was not sealed to this key, or was altered");
    ephemeral_ = ephemeral;
    have_shared_ = true;
  }
  const std::string_view box = sealed.substr(v2::box_offset);
  std::string out(box.size() - v2::mac_bytes, '\0');
  if (crypto_box_open_easy_afternm(reinterpret_cast<unsigned char*>(out.data()), bytes_of(box), box.size(),
                                   bytes_of(sealed) + v2::nonce_offset, shared_.data()) != 0)
    return fail(errc::invalid_argument, "sealed data was not sealed to this key, or was altered");
  return out;
}

}  // namespace ravao::seal
