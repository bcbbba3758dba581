#pragma once
// Opens many sealed records with one key pair (common/seal.hpp formats),
// keeping the last v2 window's shared key (crypto_box_beforenm) so that the
// records of one window (up to 1,024) cost one X25519 agreement instead of
// one each: what a pass over a province's records needs (the trace index,
// docs/tracing.md). open() gives the same results as seal::open.
//
// Not thread-safe: one per thread. The cached shared key and the copy of
// the secret key are wiped when replaced and on destruction.

#include <array>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/seal.hpp"

namespace ravao::seal {

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

}  // namespace ravao::seal
