// libFuzzer target for line_framer and sanitize_frame. The first two input
// bytes choose max_bytes and the feed() chunk size, the rest is the stream.
// Invariants: buffered() never exceeds max_bytes; every byte that is not a
// terminator is delivered exactly once, in a frame or an overflow count;
// frames are non-empty, terminator-free and at most max_bytes; an accepted
// frame is valid UTF-8 with no NUL, no disallowed control and no edge spaces.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "common/text.hpp"
#include "drivers/frame.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void check_sanitized(std::string_view raw) {
  const auto r = ravao::sanitize_frame(raw);
  if (!r) {
    const auto& e = r.error();
    check(e.reason == "nul_byte" || e.reason == "control_byte" || e.reason == "invalid_utf8" ||
          e.reason == "empty");
    check(e.length == raw.size());
    check(e.reason == "empty" || e.offset < raw.size());
    check(e.preview == ravao::text::hex_prefix(raw));
    return;
  }
  const std::string& t = r->text;
  check(!t.empty());
  check(!ravao::text::first_invalid_utf8(t).has_value());
  check(t.front() != ' ' && t.front() != '\t' && t.back() != ' ' && t.back() != '\t');
  for (char c : t) {
    const auto b = static_cast<unsigned char>(c);
    const bool allowed_control = b == '\t' || b == 0x04 || b == 0x1C || b == 0x1D || b == 0x1E;
    check(b != 0 && b != 0x7F && (b >= 0x20 || allowed_control));
  }
  check(r->symbology.empty() || (r->symbology.size() == 3 && r->symbology[0] == ']'));
  check(t.size() + r->symbology.size() + (r->had_bom ? 3 : 0) <= raw.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t max_bytes = data[0] % 80;
  const std::size_t chunk = std::size_t{1} + data[1] % 16;
  const std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);

  ravao::line_framer framer(max_bytes);
  std::size_t delivered = 0;
  const ravao::line_framer::frame_sink on_frame = [&](std::string_view line) {
    check(!line.empty() && line.size() <= max_bytes);
    check(line.find_first_of("\r\n") == std::string_view::npos);
    delivered += line.size();
    check_sanitized(line);
  };
  const ravao::line_framer::overflow_sink on_overflow = [&](std::size_t n, std::string_view head) {
    check(n > max_bytes);
    check(head.size() <= n && head.size() <= 32);
    check(head.find_first_of("\r\n") == std::string_view::npos);
    delivered += n;
  };
  for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
    const std::string_view part = stream.substr(pos, chunk);
    framer.feed(std::span<const char>(part.data(), part.size()), on_frame, on_overflow);
    check(framer.buffered() <= max_bytes);
  }
  framer.flush(on_frame, on_overflow);
  check(framer.buffered() == 0);
  const auto terminators = static_cast<std::size_t>(
      std::count_if(stream.begin(), stream.end(), [](char c) { return c == '\r' || c == '\n'; }));
  check(delivered + terminators == stream.size());

  check_sanitized(stream);
  return 0;
}
