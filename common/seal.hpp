#pragma once
// Personal data sealed at the edge (docs/privacy.md): visitors' names, ID
// numbers, birth dates, addresses, phones and declaration answers are sealed
// with libsodium's crypto_box_seal to the provincial public key before they
// reach the gateway's disk. Only the holder of the provincial secret key (the
// receiver's `ravao-receiver keygen` output) can open them; the gateway
// cannot read back what it sealed.
//
// The gateway keeps a keyed hash of the ID number (BLAKE2b with a key of its
// own) for check-in/out matching and duplicate detection.
//
// Text forms: a public key is "ravao-pk1:" + base64 (URL-safe, no padding)
// of its 32 bytes; a secret key file holds "ravao-sk1:" + base64 of the
// 32-byte secret key followed by the 32-byte public key.

#include <array>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace ravao::seal {

inline constexpr std::size_t key_bytes = 32;
// crypto_box_SEALBYTES: what sealing adds to the plaintext.
inline constexpr std::size_t overhead_bytes = 48;

struct public_key {
  std::array<unsigned char, key_bytes> bytes{};
  friend bool operator==(const public_key&, const public_key&) = default;
};

struct key_pair {
  public_key pub;
  std::array<unsigned char, key_bytes> secret{};
};

// A new random key pair (crypto_box_keypair).
key_pair generate();

std::string to_text(const public_key& k);  // "ravao-pk1:..."
std::string to_text(const key_pair& k);    // "ravao-sk1:..." (secret!)
result<public_key> parse_public_key(std::string_view text);  // surrounding blanks ignored
result<key_pair> parse_key_pair(std::string_view text);

// Seals `plaintext` to `to` (anonymous sender): overhead_bytes + plaintext size bytes.
std::string seal(const public_key& to, std::string_view plaintext);
// Opens what seal() made for `keys.pub`; an error when it was sealed to
// another key or altered.
result<std::string> open(const key_pair& keys, std::string_view sealed);

// A key for keyed hashes: 32 random bytes.
std::array<unsigned char, key_bytes> random_hash_key();
// BLAKE2b-256 of `data` keyed with `key`, as 64 lowercase hex digits.
std::string keyed_hash(const std::array<unsigned char, key_bytes>& key, std::string_view data);

// Base64 (standard alphabet, padded), as used on the wire for sealed fields.
std::string base64(std::string_view bytes);
result<std::string> unbase64(std::string_view text);

}  // namespace ravao::seal
