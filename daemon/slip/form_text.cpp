#include "slip/form_text.hpp"

#include <cstdint>

#include <fmt/format.h>

#include "common/text.hpp"

namespace ravao::slip {

namespace {

// Decodes one code point of well-formed UTF-8 at `pos` (checked beforehand).
char32_t decode(std::string_view s, std::size_t& pos) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[pos + i]) & 0x3Fu; };
  const auto b0 = static_cast<unsigned char>(s[pos]);
  char32_t cp = 0;
  if (b0 < 0x80) {
    cp = b0;
    pos += 1;
  } else if (b0 < 0xE0) {
    cp = ((b0 & 0x1Fu) << 6) | b(1);
    pos += 2;
  } else if (b0 < 0xF0) {
    cp = ((b0 & 0x0Fu) << 12) | (b(1) << 6) | b(2);
    pos += 3;
  } else {
    cp = ((b0 & 0x07u) << 18) | (b(1) << 12) | (b(2) << 6) | b(3);
    pos += 4;
  }
  return cp;
}

// Characters no form value may hold: C0 and C1 controls (ESC, GS, NUL, tab,
// newline...), DEL, and the invisible ones that change how text around them
// displays or compares: zero-width characters and joiners, bidirectional
// controls, line/paragraph separators, BOM, interlinear annotation marks.
bool forbidden(char32_t cp) {
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return true;
  if (cp == 0x061C || cp == 0xFEFF) return true;
  if (cp >= 0x200B && cp <= 0x200F) return true;
  if (cp >= 0x2028 && cp <= 0x202E) return true;
  if (cp >= 0x2060 && cp <= 0x206F) return true;
  return cp >= 0xFFF9 && cp <= 0xFFFB;
}

}  // namespace

std::size_t char_count(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0u) != 0x80u ? 1 : 0;
  return n;
}

std::expected<std::string, text_problem> clean_text(std::string_view raw, std::size_t max_chars) {
  if (raw.size() > max_value_bytes) {
    return std::unexpected(text_problem{
        fmt::format("is too long ({} bytes; at most {} characters)", raw.size(), max_chars),
        fmt::format("quá dài ({} byte; tối đa {} ký tự)", raw.size(), max_chars)});
  }
  if (const auto bad = text::first_invalid_utf8(raw)) {
    return std::unexpected(
        text_problem{fmt::format("is not valid UTF-8 (byte {}): retype it", *bad + 1),
                     fmt::format("có ký tự không đọc được (byte {}): hãy nhập lại", *bad + 1)});
  }
  std::size_t chars = 0;
  for (std::size_t pos = 0; pos < raw.size();) {
    const char32_t cp = decode(raw, pos);
    ++chars;
    if (forbidden(cp)) {
      const auto code = static_cast<std::uint32_t>(cp);
      return std::unexpected(text_problem{
          fmt::format("contains a control or invisible character (U+{:04X}, character {}): retype it", code, chars),
          fmt::format("có ký tự điều khiển hoặc ký tự ẩn (U+{:04X}, ký tự thứ {}): hãy nhập lại", code, chars)});
    }
  }
  const std::string nfc = text::to_nfc(raw);
  std::string out;
  out.reserve(nfc.size());
  // U+00A0 (no-break space) counts as a space; it is two bytes in UTF-8.
  for (std::size_t pos = 0; pos < nfc.size();) {
    const bool nbsp = nfc.compare(pos, 2, "\xC2\xA0") == 0;
    if (nfc[pos] == ' ' || nbsp) {
      if (!out.empty() && out.back() != ' ') out += ' ';
      pos += nbsp ? 2 : 1;
    } else {
      out += nfc[pos++];
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  if (const std::size_t n = char_count(out); n > max_chars) {
    return std::unexpected(text_problem{fmt::format("is {} characters long (at most {})", n, max_chars),
                                        fmt::format("dài {} ký tự (tối đa {})", n, max_chars)});
  }
  return out;
}

}  // namespace ravao::slip
