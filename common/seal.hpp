#pragma once
// Personal data sealed at the edge (docs/privacy.md): visitors' names, ID
// numbers, birth dates, addresses, phones and declaration answers are sealed
// to the provincial public key before they reach the gateway's disk. Only the
// holder of the provincial secret key (the receiver's `ravao-receiver keygen`
// output) can open them; the gateway cannot read back what it sealed.
//
// Two sealed formats, told apart by their bytes alone (format_of), both
// opened by open() with the provincial key pair (docs/sync-protocol.md,
// "Sealed formats"):
//   v1  crypto_box_seal: ephemeral public key (32) || box (16 + n). One
//       X25519 key pair and agreement per record (~70 us); what seal() makes.
//   v2  a window's key (common/seal_window.hpp): ephemeral public key (32,
//       bit 7 of byte 31 set) || version 0x02 (1) || nonce (24) || box
//       (16 + n), the box crypto_box_easy_afternm under
//       crypto_box_beforenm(province public key, ephemeral secret key).
// A v1 box never has bit 7 of byte 31 set: its first 32 bytes are an X25519
// public key as libsodium writes it, a number below 2^255 - 19 in little
// endian, whose top bit is always clear. X25519 ignores that bit of a
// received key (RFC 7748, section 5), so setting it marks v2 without
// changing the key; opening clears it first all the same.
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
// crypto_box_SEALBYTES: what sealing adds to the plaintext (v1).
inline constexpr std::size_t overhead_bytes = 48;

// The v2 layout (see above).
namespace v2 {
inline constexpr std::size_t marker_byte = 31;            // of the ephemeral public key
inline constexpr unsigned char marker_bit = 0x80;
inline constexpr std::size_t version_offset = key_bytes;  // 32
inline constexpr unsigned char version = 2;
inline constexpr std::size_t nonce_offset = version_offset + 1;
inline constexpr std::size_t nonce_bytes = 24;             // crypto_box_NONCEBYTES
inline constexpr std::size_t box_offset = nonce_offset + nonce_bytes;  // 57
inline constexpr std::size_t mac_bytes = 16;               // crypto_box_MACBYTES
inline constexpr std::size_t overhead_bytes = box_offset + mac_bytes;  // 73
}  // namespace v2

enum class sealed_format { v1 = 1, v2 = 2 };

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
// Surrounding blanks ignored; a point of small order (no key pair's
// public half: every agreement with it fails) is refused.
result<public_key> parse_public_key(std::string_view text);
result<key_pair> parse_key_pair(std::string_view text);

// Seals `plaintext` to `to` in v1 (crypto_box_seal, anonymous sender):
// overhead_bytes + plaintext size bytes. The gateway seals with a
// window_sealer (v2); this stays for tests and the schema-3 migration.
std::string seal(const public_key& to, std::string_view plaintext);
// The format of sealed bytes from their shape alone (no key needed): an
// error when they are too short for any format, or mark a version this
// build does not know. Whether they open is open()'s question.
result<sealed_format> format_of(std::string_view sealed);
// Opens sealed bytes of either format made for `keys.pub`; an error when
// they were sealed to another key, altered, truncated or of no known format.
result<std::string> open(const key_pair& keys, std::string_view sealed);

// Opens many records with one key pair, giving the same results as open(),
// but keeping the last v2 window's shared key (crypto_box_beforenm) so that
// the records of one window (up to 1,024) cost one X25519 agreement instead
// of one each: what a pass over a province's records needs (the trace
// index, docs/tracing.md).
//
// Not thread-safe: one per thread. The cached shared key and the copy of
// the secret key are wiped when replaced and on destruction.
class batch_opener {
 public:
  explicit batch_opener(const key_pair& keys) : keys_(keys) {}
  ~batch_opener();
  batch_opener(const batch_opener&) = delete;
  batch_opener& operator=(const batch_opener&) = delete;

  result<std::string> open(std::string_view sealed);

 private:
  key_pair keys_;
  std::array<unsigned char, key_bytes> ephemeral_{};
  std::array<unsigned char, key_bytes> shared_{};
  bool have_shared_ = false;
};

// A key for keyed hashes: 32 random bytes.
std::array<unsigned char, key_bytes> random_hash_key();
// BLAKE2b-256 of `data` keyed with `key`, as 64 lowercase hex digits.
std::string keyed_hash(const std::array<unsigned char, key_bytes>& key, std::string_view data);

// Base64 (standard alphabet, padded), as used on the wire for sealed fields.
std::string base64(std::string_view bytes);
result<std::string> unbase64(std::string_view text);

}  // namespace ravao::seal
