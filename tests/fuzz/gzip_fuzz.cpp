// libFuzzer target: common/gzip.*, the sync protocol's body encoding.
// The first input byte picks what is done with the rest:
//   even: the rest is a gzip body from an untrusted peer; decompress() with a
//         cap taken from the byte must never crash or hang, must never return
//         more than the cap, and what it accepts must stay accepted by the
//         same rules: any strict prefix (a truncated body) and the body with
//         a byte after it (trailing garbage) are refused, and its output
//         survives a round trip through compress();
//   odd:  the rest is data; compress() at level 1..9 and decompress() must
//         round-trip exactly with the cap at the data's size, and refuse
//         with one byte less (a bomb is stopped at the cap, not after it).
// Seeds: tests/fuzz/corpus/gzip/ (gzip files, bombs, truncated, trailing).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/gzip.hpp"

namespace {

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "gzip_fuzz: invariant violated: %s\n", what);
  std::abort();
}

void untrusted(std::string_view gz, std::uint8_t selector) {
  // Caps from 64 bytes to 1 MiB: small ones make the fuzzer meet them.
  const std::size_t cap = std::size_t{64} << (selector % 15);
  const auto out = ravao::gzip::decompress(gz, cap);
  if (!out) {
    require(!out.error().message().empty(), "a refusal says why");
    return;
  }
  require(out->size() <= cap, "never more than the cap");
  require(!gz.empty() && !ravao::gzip::decompress(gz.substr(0, gz.size() - 1), cap),
          "a truncated body is refused");
  std::string trailing(gz);
  trailing += '\0';
  require(!ravao::gzip::decompress(trailing, cap), "bytes after the stream are refused");
  const auto again = ravao::gzip::decompress(ravao::gzip::compress(*out, 1), cap);
  require(again && *again == *out, "what was accepted round-trips");
}

void round_trip(std::string_view data, std::uint8_t selector) {
  const int level = 1 + (selector >> 1) % 9;
  const std::string gz = ravao::gzip::compress(data, level);
  const auto out = ravao::gzip::decompress(gz, data.size());
  require(out.has_value(), "compress() output is accepted with the cap at its size");
  require(*out == data, "compress() then decompress() gives the data back");
  if (!data.empty()) require(!ravao::gzip::decompress(gz, data.size() - 1), "one byte past the cap is refused");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) untrusted(rest, static_cast<std::uint8_t>(data[0] >> 1));
  else round_trip(rest, data[0]);
  return 0;
}
