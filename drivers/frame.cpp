#include "drivers/frame.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "common/text.hpp"

namespace ravao {

namespace {

// Bytes of an overflowing line kept for the log (hex of them is printed).
constexpr std::size_t head_bytes = 32;

constexpr std::string_view bom = "\xEF\xBB\xBF";

bool is_terminator(char c) { return c == '\r' || c == '\n'; }

bool is_ascii_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// TAB and the ISO/IEC 15434 / GS1 separators EOT, FS, GS, RS are data.
bool is_disallowed_control(unsigned char b) {
  if (b == 0x7F) return true;
  if (b >= 0x20) return false;
  return b != '\t' && b != 0x04 && b != 0x1C && b != 0x1D && b != 0x1E;
}

}  // namespace

line_framer::line_framer(std::size_t max_bytes) : max_bytes_(max_bytes) {}

// Works on runs between terminators so a megabyte costs one pass, not a
// call per byte. The sinks may throw: the exception leaves feed() and the
// rest of that chunk is dropped, but the line was already taken out of the
// framer, so it stays consistent and usable.
void line_framer::feed(std::span<const char> bytes, const frame_sink& on_frame,
                       const overflow_sink& on_overflow) {
  std::size_t pos = 0;
  const std::size_t n = bytes.size();
  while (pos < n) {
    if (last_was_cr_) {
      last_was_cr_ = false;
      if (bytes[pos] == '\n') {
        ++pos;
        continue;
      }
    }
    const auto end_it = std::find_if(bytes.begin() + static_cast<std::ptrdiff_t>(pos), bytes.end(),
                                     is_terminator);
    const auto end = static_cast<std::size_t>(end_it - bytes.begin());
    const std::string_view run(bytes.data() + pos, end - pos);

    if (discarding_ > 0) {
      discarding_ += run.size();
      head_ += run.substr(0, head_bytes - head_.size());
    } else if (run.size() > max_bytes_ - buf_.size()) {
      // Overlong: keep only its head for the log and count the rest.
      head_ = buf_.substr(0, head_bytes);
      head_ += run.substr(0, head_bytes - head_.size());
      discarding_ = buf_.size() + run.size();
      buf_.clear();
      buf_.shrink_to_fit();
    } else if (!run.empty()) {
      // Grow geometrically but never past max_bytes: memory stays bounded.
      const std::size_t need = buf_.size() + run.size();
      if (need > buf_.capacity()) {
        buf_.reserve(std::min(max_bytes_, std::max(need, 2 * buf_.capacity())));
      }
      buf_ += run;
    }

    if (end == n) return;
    pos = end + 1;
    flush(on_frame, on_overflow);  // ends the line; clears last_was_cr_
    last_was_cr_ = bytes[end] == '\r';
  }
}

void line_framer::flush(const frame_sink& on_frame, const overflow_sink& on_overflow) {
  last_was_cr_ = false;
  if (discarding_ > 0) {
    const std::size_t discarded = std::exchange(discarding_, 0);
    const std::string head = std::exchange(head_, {});
    on_overflow(discarded, head);
  } else if (!buf_.empty()) {
    const std::string line = std::exchange(buf_, {});
    on_frame(line);
  }
}

std::expected<scan_frame, frame_rejection> sanitize_frame(std::string_view raw_line) {
  const auto reject = [&](std::string reason, std::size_t offset) {
    return std::unexpected(frame_rejection{std::move(reason), raw_line.size(), offset,
                                           text::hex_prefix(raw_line)});
  };

  scan_frame frame;
  std::string_view s = raw_line;
  // The BOM is payload data, so scanners emit it after their AIM prefix;
  // software wedges put it first. Both orders are accepted.
  if (s.starts_with(bom)) {
    s.remove_prefix(bom.size());
    frame.had_bom = true;
  }
  if (s.size() > 3 && s[0] == ']' && is_ascii_letter(s[1]) && s[2] >= '0' && s[2] <= '9') {
    frame.symbology = s.substr(0, 3);
    s.remove_prefix(3);
    if (!frame.had_bom && s.starts_with(bom)) {
      s.remove_prefix(bom.size());
      frame.had_bom = true;
    }
  }
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);

  // Offsets are reported within the raw line, as the preview is.
  const auto base = static_cast<std::size_t>(s.data() - raw_line.data());
  if (const std::size_t nul = s.find('\0'); nul != std::string_view::npos) {
    return reject("nul_byte", base + nul);
  }
  const auto ctl = std::find_if(s.begin(), s.end(), [](char c) {
    return is_disallowed_control(static_cast<unsigned char>(c));
  });
  if (ctl != s.end()) {
    return reject("control_byte", base + static_cast<std::size_t>(ctl - s.begin()));
  }
  if (const std::optional<std::size_t> bad = text::first_invalid_utf8(s)) {
    return reject("invalid_utf8", base + *bad);
  }
  if (s.empty()) return reject("empty", 0);
  frame.text = s;
  return frame;
}

}  // namespace ravao
