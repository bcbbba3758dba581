#pragma once
// Sealing in windows (sealed format v2, common/seal.hpp): instead of one
// X25519 key pair and agreement per record (crypto_box_seal, ~70 us), a
// window draws one ephemeral key pair, agrees one shared key with the
// provincial public key (crypto_box_beforenm), wipes the ephemeral secret at
// once, and seals each record of the window under that shared key with a
// random 24-byte nonce (crypto_box_easy_afternm, XSalsa20-Poly1305: a
// microsecond or two). Each sealed record carries the window's ephemeral
// public key, so the province opens any one record with its secret key alone.
//
// A window ends `limits.window` after it began, or after `limits.max_records`
// records, whichever comes first; the next seal() starts a new one. The
// shared key is the only secret a window keeps: it lives in memory from
// sodium_malloc (locked, so never swapped; left out of core dumps; guard
// pages), made inaccessible while no window is open, and is wiped with
// sodium_memzero when the window ends and when the sealer is destroyed. It is
// never written anywhere. A window ends by time even when nothing is sealed:
// whoever owns the sealer calls wipe_if_ended() when the window's end comes
// (ravaod: a timer on the loop, daemon/app.cpp), and seal() checks it too.
// So a dump of the memory of a running gateway opens the records of the
// current window at most (docs/privacy.md, "Forward secrecy").
//
// Threads: every member may be called from any thread; one mutex serialises
// them (ravaod seals scans on the loop and declarations on the store's
// writer thread, a few microseconds each).

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/seal.hpp"

namespace ravao::seal {

class window_sealer {
 public:
  using clock = std::chrono::steady_clock;
  struct limits {
    std::chrono::seconds window{300};
    std::size_t max_records = 1024;
  };

  // Throws std::invalid_argument for a key of small order (parse_public_key
  // refuses those), std::bad_alloc when sodium_malloc fails.
  explicit window_sealer(const public_key& to, limits l);
  explicit window_sealer(const public_key& to) : window_sealer(to, limits{}) {}
  ~window_sealer();
  window_sealer(const window_sealer&) = delete;
  window_sealer& operator=(const window_sealer&) = delete;

  // Seals `plaintext` in v2 (v2::overhead_bytes + plaintext size bytes),
  // starting a window first when none is open or the current one has ended
  // at `now`.
  std::string seal(std::string_view plaintext, clock::time_point now = clock::now());

  // Ends the current window when it has ended at `now` (wiping its key).
  // Returns when the open window ends; nullopt when none is open.
  std::optional<clock::time_point> wipe_if_ended(clock::time_point now = clock::now());

  // Whether a window (its shared key) is open.
  bool holds_key() const;
  const public_key& recipient() const { return to_; }
  const limits& window_limits() const { return limits_; }

 private:
  void begin_window(clock::time_point now);  // with mutex_ held
  void end_window();                         // with mutex_ held

  const public_key to_;
  const limits limits_;
  mutable std::mutex mutex_;
  // sodium_malloc'd: the shared key, then room for the ephemeral secret
  // (zero but during begin_window); read-write only while a window is open.
  unsigned char* shared_ = nullptr;
  std::array<unsigned char, key_bytes> ephemeral_public_{};  // with the v2 marker bit set
  clock::time_point ends_{};
  std::size_t sealed_ = 0;  // records sealed in the open window
  bool open_ = false;
};

}  // namespace ravao::seal
