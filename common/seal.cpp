#include "common/seal.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

namespace ravao::seal {
namespace {

static_assert(key_bytes == crypto_box_PUBLICKEYBYTES && key_bytes == crypto_box_SECRETKEYBYTES);
static_assert(overhead_bytes == crypto_box_SEALBYTES);
static_assert(key_bytes == crypto_generichash_KEYBYTES);
static_assert(v2::nonce_bytes == crypto_box_NONCEBYTES && v2::mac_bytes == crypto_box_MACBYTES);
static_assert(key_bytes == crypto_box_BEFORENMBYTES);

constexpr std::string_view public_prefix = "ravao-pk1:";
constexpr std::string_view secret_prefix = "ravao-sk1:";

void ensure_init() {
  // sodium_init is thread-safe and idempotent; a failure means no usable
  // random source, and nothing can be sealed safely.
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();
}

const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::string encode(std::string_view bytes, int variant) {
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes_of(bytes), bytes.size(), variant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

result<std::string> decode(std::string_view text, int variant, std::string_view what) {
  std::string out(text.size() * 3 / 4 + 3, '\0');
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(),
                        nullptr, &len, &end, variant) != 0 ||
      end != text.data() + text.size()) {
    return fail(errc::invalid_argument, fmt::format("{} is not valid base64", what));
  }
  out.resize(len);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

key_pair generate() {
  ensure_init();
  key_pair k;
  crypto_box_keypair(k.pub.bytes.data(), k.secret.data());
  return k;
}

std::string to_text(const public_key& k) {
  ensure_init();
  return std::string(public_prefix) +
         encode({reinterpret_cast<const char*>(k.bytes.data()), k.bytes.size()},
                sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::string to_text(const key_pair& k) {
  ensure_init();
  std::string raw(reinterpret_cast<const char*>(k.secret.data()), k.secret.size());
  raw.append(reinterpret_cast<const char*>(k.pub.bytes.data()), k.pub.bytes.size());
  auto text = std::string(secret_prefix) + encode(raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw.data(), raw.size());
  return text;
}

result<public_key> parse_public_key(std::string_view text) {
  ensure_init();
  text = trim(text);
  if (!text.starts_with(public_prefix))
    return fail(errc::invalid_argument, fmt::format("a public key starts with \"{}\" (ravao-receiver keygen prints it)",
                                                    public_prefix));
  auto raw = decode(text.substr(public_prefix.size()), sodium_base64_VARIANT_URLSAFE_NO_PADDING, "the public key");
  if (!raw) return std::unexpected(raw.error());
  if (raw->size() != key_bytes)
    return fail(errc::invalid_argument, fmt::format("a public key has {} bytes, not {}", key_bytes, raw->size()));
  public_key k;
  std::copy(raw->begin(), raw->end(), reinterpret_cast<char*>(k.bytes.data()));
  // A point of small order agrees the same (zero) secret with everyone: no
  // key pair's public half, and nothing could be sealed to it.
  std::array<unsigned char, key_bytes> scalar{}, shared{};
  scalar[0] = 1;
  if (crypto_scalarmult(shared.data(), scalar.data(), k.bytes.data()) != 0)
    return fail(errc::invalid_argument, "the public key is not a usable X25519 key (a point of small order)");
  return k;
}

result<key_pair> parse_key_pair(std::string_view text) {
  ensure_init();
  text = trim(text);
  if (!text.starts_with(secret_prefix))
    return fail(errc::invalid_argument, fmt::format("a secret key file starts with \"{}\"", secret_prefix));
  auto raw = decode(text.substr(secret_prefix.size()), sodium_base64_VARIANT_URLSAFE_NO_PADDING, "the secret key");
  if (!raw) return std::unexpected(raw.error());
  if (raw->size() != 2 * key_bytes) {
    sodium_memzero(raw->data(), raw->size());
    return fail(errc::invalid_argument, "the secret key file is truncated or not a ravao key");
  }
  key_pair k;
  std::copy_n(raw->begin(), key_bytes, reinterpret_cast<char*>(k.secret.data()));
  std::copy_n(raw->begin() + key_bytes, key_bytes, reinterpret_cast<char*>(k.pub.bytes.data()));
  sodium_memzero(raw->data(), raw->size());
  // The stored public half must belong to the secret half.
  std::array<unsigned char, key_bytes> derived{};
  crypto_scalarmult_base(derived.data(), k.secret.data());
  if (derived != k.pub.bytes) return fail(errc::invalid_argument, "the secret key file's two halves do not match");
  return k;
}

std::string seal(const public_key& to, std::string_view plaintext) {
  ensure_init();
  std::string out(plaintext.size() + overhead_bytes, '\0');
  crypto_box_seal(reinterpret_cast<unsigned char*>(out.data()), bytes_of(plaintext), plaintext.size(),
                  to.bytes.data());
  return out;
}

result<sealed_format> format_of(std::string_view sealed) {
  if (sealed.size() <= v2::marker_byte) return fail(errc::invalid_argument, "sealed data is too short");
  if ((static_cast<unsigned char>(sealed[v2::marker_byte]) & v2::marker_bit) == 0) {
    if (sealed.size() < overhead_bytes) return fail(errc::invalid_argument, "sealed data is too short");
    return sealed_format::v1;
  }
  if (sealed.size() <= v2::version_offset) return fail(errc::invalid_argument, "sealed data is too short");
  const auto version = static_cast<unsigned char>(sealed[v2::version_offset]);
  if (version != v2::version)
    return fail(errc::invalid_argument, fmt::format("sealed data of format {}, which this build cannot open", version));
  if (sealed.size() < v2::overhead_bytes) return fail(errc::invalid_argument, "sealed data is too short");
  return sealed_format::v2;
}

namespace {

result<std::string> open_v1(const key_pair& keys, std::string_view sealed) {
  std::string out(sealed.size() - overhead_bytes, '\0');
  if (crypto_box_seal_open(reinterpret_cast<unsigned char*>(out.data()), bytes_of(sealed), sealed.size(),
                           keys.pub.bytes.data(), keys.secret.data()) != 0) {
    return fail(errc::invalid_argument, "sealed data was not sealed to this key, or was altered");
  }
  return out;
}

// A v2 record's ephemeral public key: its first key_bytes with the format
// marker bit cleared.
std::array<unsigned char, key_bytes> v2_ephemeral(std::string_view sealed) {
  std::array<unsigned char, key_bytes> ephemeral{};
  std::copy_n(bytes_of(sealed), key_bytes, ephemeral.data());
  ephemeral[v2::marker_byte] &= static_cast<unsigned char>(~v2::marker_bit);
  return ephemeral;
}

// The same agreement as crypto_box (X25519, then HSalsa20); it refuses a
// small-order ephemeral key.
result<void> v2_agree(const key_pair& keys, const std::array<unsigned char, key_bytes>& ephemeral,
                      std::array<unsigned char, key_bytes>& shared) {
  if (crypto_box_beforenm(shared.data(), ephemeral.data(), keys.secret.data()) != 0)
    return fail(errc::invalid_argument, "sealed data was not sealed to this key, or was altered");
  return {};
}

result<std::string> v2_open_box(const std::array<unsigned char, key_bytes>& shared, std::string_view sealed) {
  const std::string_view box = sealed.substr(v2::box_offset);
  std::string out(box.size() - v2::mac_bytes, '\0');
  if (crypto_box_open_easy_afternm(reinterpret_cast<unsigned char*>(out.data()), bytes_of(box), box.size(),
                                   bytes_of(sealed) + v2::nonce_offset, shared.data()) != 0)
    return fail(errc::invalid_argument, "sealed data was not sealed to this key, or was altered");
  return out;
}

result<std::string> open_v2(const key_pair& keys, std::string_view sealed) {
  std::array<unsigned char, key_bytes> shared{};
  auto agreed = v2_agree(keys, v2_ephemeral(sealed), shared);
  auto opened = agreed ? v2_open_box(shared, sealed) : std::unexpected(agreed.error());
  sodium_memzero(shared.data(), shared.size());
  return opened;
}

}  // namespace

result<std::string> open(const key_pair& keys, std::string_view sealed) {
  ensure_init();
  auto format = format_of(sealed);
  if (!format) return std::unexpected(format.error());
  return *format == sealed_format::v1 ? open_v1(keys, sealed) : open_v2(keys, sealed);
}

batch_opener::~batch_opener() {
  sodium_memzero(shared_.data(), shared_.size());
  sodium_memzero(keys_.secret.data(), keys_.secret.size());
}

result<std::string> batch_opener::open(std::string_view sealed) {
  ensure_init();
  auto format = format_of(sealed);
  if (!format) return std::unexpected(format.error());
  if (*format == sealed_format::v1) return open_v1(keys_, sealed);  // one agreement per record anyway
  const auto ephemeral = v2_ephemeral(sealed);
  if (!have_shared_ || ephemeral != ephemeral_) {
    have_shared_ = false;
    sodium_memzero(shared_.data(), shared_.size());
    if (auto agreed = v2_agree(keys_, ephemeral, shared_); !agreed) return std::unexpected(agreed.error());
    ephemeral_ = ephemeral;
    have_shared_ = true;
  }
  return v2_open_box(shared_, sealed);
}

std::array<unsigned char, key_bytes> random_hash_key() {
  ensure_init();
  std::array<unsigned char, key_bytes> k{};
  randombytes_buf(k.data(), k.size());
  return k;
}

std::string keyed_hash(const std::array<unsigned char, key_bytes>& key, std::string_view data) {
  ensure_init();
  std::array<unsigned char, 32> h{};
  crypto_generichash(h.data(), h.size(), bytes_of(data), data.size(), key.data(), key.size());
  std::string hex(h.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), h.data(), h.size());
  hex.pop_back();
  return hex;
}

std::string base64(std::string_view bytes) {
  ensure_init();
  return encode(bytes, sodium_base64_VARIANT_ORIGINAL);
}

result<std::string> unbase64(std::string_view text) {
  ensure_init();
  return decode(text, sodium_base64_VARIANT_ORIGINAL, "the sealed field");
}

}  // namespace ravao::seal
