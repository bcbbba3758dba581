// libFuzzer target: common/seal.* reading sealed bytes from an untrusted
// gateway (format_of, then open with the provincial key). The input is the
// sealed bytes as the receiver would unbase64 them. Invariants: nothing
// crashes; a refusal says why; format_of agrees with open on what is no
// known format; bytes that open are of a known format, and the same bytes
// with any one bit flipped or cut one byte short do not open (the fuzzer
// cannot forge a box, so in practice only the seeds open).
// Seeds: tests/fuzz/corpus/sealed/ (a format-1 and a format-2 box to the
// key below, and a few short and unknown-format ones).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/seal.hpp"

namespace {

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "sealed_fuzz: invariant violated: %s\n", what);
  std::abort();
}

// A fixed key, so that the seeds sealed to it open.
const ravao::seal::key_pair& province() {
  static const ravao::seal::key_pair k = *ravao::seal::parse_key_pair(
      "ravao-sk1:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAHo3y8FCCTyLdV3BsQ6Gy0JjdK0WqoU-0L38CyuG0cfA");
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view sealed(reinterpret_cast<const char*>(data), size);
  const auto format = ravao::seal::format_of(sealed);
  const auto opened = ravao::seal::open(province(), sealed);
  if (!format) {
    require(!format.error().message().empty(), "a refusal says why");
    require(!opened, "what is no known format does not open");
    return 0;
  }
  if (!opened) {
    require(!opened.error().message().empty(), "a refusal says why");
    return 0;
  }
  const std::size_t overhead =
      *format == ravao::seal::sealed_format::v1 ? ravao::seal::overhead_bytes : ravao::seal::v2::overhead_bytes;
  require(opened->size() + overhead == size, "the plaintext is the box less its overhead");
  require(!ravao::seal::open(province(), sealed.substr(0, size - 1)), "a box cut short does not open");
  for (std::size_t i = 0; i < size; ++i) {
    std::string bad(sealed);
    bad[i] = static_cast<char>(bad[i] ^ (1 << (i % 8)));
    require(!ravao::seal::open(province(), bad), "an altered box does not open");
  }
  return 0;
}
