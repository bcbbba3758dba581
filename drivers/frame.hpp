#pragma once
// From raw scanner bytes to candidate payloads. A scanner is untrusted: it may
// send a megabyte without a newline, NUL and control bytes, invalid UTF-8 or a
// byte-order mark. The policy (docs/payload-formats.md, "Frame policy"):
//   - frames end at CR, LF or CRLF; empty frames are ignored;
//   - a frame longer than max_bytes is rejected as "too_long" and its bytes
//     are discarded up to the next terminator: memory stays bounded;
//   - a leading UTF-8 BOM is removed (flag "bom");
//   - a leading AIM symbology identifier "]Xn" is removed and kept;
//   - leading/trailing spaces and tabs are trimmed;
//   - NUL anywhere: rejected "nul_byte";
//   - other C0 controls and DEL: rejected "control_byte", except TAB and the
//     ISO/IEC 15434 / GS1 separators EOT (04), FS (1C), GS (1D), RS (1E),
//     which are data in real barcodes;
//   - ill-formed UTF-8: rejected "invalid_utf8".
// Rejections carry the offset and a hex preview for the log.

#include <cstddef>
#include <expected>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace ravao {

struct scan_frame {
  std::string text;        // valid UTF-8, not yet normalised
  std::string symbology;   // AIM id such as "]Q1", or empty
  bool had_bom = false;
};

struct frame_rejection {
  std::string reason;      // "too_long", "nul_byte", "control_byte", "invalid_utf8", "empty"
  std::size_t length = 0;  // bytes in the frame (for too_long: bytes discarded)
  std::size_t offset = 0;  // first offending byte
  std::string preview;     // hex of the first bytes, for the log
};

// Splits a byte stream into lines. Holds at most max_bytes of an unfinished
// line; a longer line is reported once through on_overflow with its full
// length when its terminator arrives (or when flush() is called).
class line_framer {
 public:
  using frame_sink = std::function<void(std::string_view raw_line)>;
  using overflow_sink = std::function<void(std::size_t discarded_bytes, std::string_view head)>;

  explicit line_framer(std::size_t max_bytes);

  void feed(std::span<const char> bytes, const frame_sink& on_frame, const overflow_sink& on_overflow);

  // End of stream: a pending partial line is delivered as a frame (stdin
  // without a final newline), an overflowing one through on_overflow.
  void flush(const frame_sink& on_frame, const overflow_sink& on_overflow);

  std::size_t buffered() const { return buf_.size(); }

 private:
  std::size_t max_bytes_;
  std::string buf_;
  std::string head_;             // first bytes of an overflowing line, for the log
  std::size_t discarding_ = 0;   // > 0 while skipping an overlong line
  bool last_was_cr_ = false;     // CR just ended a line: a following LF is the same terminator
};

std::expected<scan_frame, frame_rejection> sanitize_frame(std::string_view raw_line);

}  // namespace ravao
