#include "common/text.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>

namespace ravao::text {

namespace {

// One decoded UTF-8 sequence: its code point and length in bytes; length 0
// means the bytes at that position are not well-formed UTF-8.
struct decoded {
  char32_t cp = 0;
  std::size_t len = 0;
};

// Decodes the sequence starting at `pos` following the well-formed byte
// sequence table of the Unicode standard (Table 3-7), which excludes
// overlongs, surrogates and values above U+10FFFF.
decoded decode_at(std::string_view s, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[pos + i]); };
  const std::size_t left = s.size() - pos;
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return {b0, 1};
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  char32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0Fu;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07u;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return {};
  }
  if (left < len) return {};
  for (std::size_t i = 1; i < len; ++i) {
    const unsigned char b = byte(i);
    const unsigned char min = i == 1 ? lo : 0x80;
    const unsigned char max = i == 1 ? hi : 0xBF;
    if (b < min || b > max) return {};
    cp = (cp << 6) | (b & 0x3Fu);
  }
  return {cp, len};
}

struct free_deleter {
  void operator()(std::uint8_t* p) const { std::free(p); }
};

const std::uint8_t* as_u8(std::string_view s) {
  return reinterpret_cast<const std::uint8_t*>(s.data());
}

std::string from_u8(const std::uint8_t* p, std::size_t n) {
  return std::string(reinterpret_cast<const char*>(p), n);
}

// Splits valid-or-not bytes into "characters": a well-formed sequence, or a
// single ill-formed byte which is reported as U+FFFD.
std::vector<std::string> characters(std::string_view s) {
  std::vector<std::string> out;
  for (std::size_t pos = 0; pos < s.size();) {
    const decoded d = decode_at(s, pos);
    if (d.len == 0) {
      out.emplace_back("\xEF\xBF\xBD");
      ++pos;
    } else {
      out.emplace_back(s.substr(pos, d.len));
      pos += d.len;
    }
  }
  return out;
}

// Ill-formed bytes replaced by U+FFFD, so libunistring only sees valid input.
std::string make_valid(std::string_view s) {
  if (!first_invalid_utf8(s)) return std::string(s);
  std::string out;
  for (const std::string& c : characters(s)) out += c;
  return out;
}

// Code points that must not reach a single-line log or table as themselves:
// C0/C1 controls and DEL, line/paragraph separators, and bidirectional
// formatting controls (they reorder the rest of the line on display).
bool must_escape(char32_t cp) {
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == U'\\') return true;
  if (cp == 0x2028 || cp == 0x2029) return true;
  if (cp == 0x200E || cp == 0x200F || cp == 0x061C) return true;
  if (cp >= 0x202A && cp <= 0x202E) return true;
  return cp >= 0x2066 && cp <= 0x2069;
}

constexpr char hex_digits[] = "0123456789abcdef";

void append_hex_byte(std::string& out, unsigned char b) {
  out.push_back(hex_digits[b >> 4]);
  out.push_back(hex_digits[b & 0x0F]);
}

// Where a name splits into words: Unicode White_Space (NBSP, U+2007,
// ideographic space...), other separators (Z*), controls (Cc), format
// characters (Cf: zero-width space, BOM, bidi controls) and other default
// ignorable code points (Hangul fillers, variation selectors), and U+FFFD
// (an ill-formed byte). Splitting on more than needed only masks more.
bool breaks_name(char32_t cp) {
  const auto u = static_cast<ucs4_t>(cp);
  return cp == 0xFFFD || uc_is_property_white_space(u) || uc_is_general_category(u, UC_CATEGORY_Z) ||
         uc_is_general_category(u, UC_CATEGORY_Cc) || uc_is_general_category(u, UC_CATEGORY_Cf) ||
         uc_is_property_default_ignorable_code_point(u);
}

// The longest Vietnamese syllable has 7 letters (NGHIÊNG); a family name
// word is one syllable.
constexpr std::size_t max_family_name_letters = 7;

// Whether a word may be shown whole as a family name: Latin letters (with
// their combining marks) only, at most max_family_name_letters of them.
// Anything else (a run of words glued by a separator this code does not
// know, digits, punctuation, another script) is reduced to its initial.
bool is_family_name(std::string_view word) {
  static const uc_script_t* const latin = uc_script_byname("Latin");
  std::size_t letters = 0;
  for (std::size_t pos = 0; pos < word.size();) {
    const decoded d = decode_at(word, pos);
    if (d.len == 0) return false;
    const auto u = static_cast<ucs4_t>(d.cp);
    if (uc_is_general_category(u, UC_CATEGORY_L) && latin != nullptr && uc_is_script(u, latin)) {
      if (++letters > max_family_name_letters) return false;
    } else if (!uc_is_general_category(u, UC_CATEGORY_M) || letters == 0) {
      return false;
    }
    pos += d.len;
  }
  return letters > 0;
}

// The initial of a word: its first code point plus the combining marks that
// did not compose with it under NFC, at most two (a Vietnamese letter carries
// at most two: a vowel mark and a tone).
std::string_view initial(std::string_view word) {
  std::size_t pos = decode_at(word, 0).len;
  for (int marks = 0; marks < 2 && pos < word.size(); ++marks) {
    const decoded d = decode_at(word, pos);
    if (d.len == 0 || uc_combining_class(static_cast<ucs4_t>(d.cp)) == 0) break;
    pos += d.len;
  }
  return word.substr(0, pos);
}

std::string fmt_code_point(char32_t cp) {
  std::string out = "\\u{";
  bool started = false;
  for (int shift = 20; shift >= 0; shift -= 4) {
    const auto nibble = static_cast<unsigned>((cp >> shift) & 0xF);
    if (nibble != 0 || started || shift < 16) {
      out.push_back(hex_digits[nibble]);
      started = true;
    }
  }
  out += '}';
  return out;
}

}  // namespace

std::optional<std::size_t> first_invalid_utf8(std::string_view s) {
  for (std::size_t pos = 0; pos < s.size();) {
    const decoded d = decode_at(s, pos);
    if (d.len == 0) return pos;
    pos += d.len;
  }
  return std::nullopt;
}

std::string to_nfc(std::string_view s) {
  if (s.empty() || first_invalid_utf8(s)) return std::string(s);
  std::size_t len = 0;
  std::unique_ptr<std::uint8_t, free_deleter> out(
      u8_normalize(UNINORM_NFC, as_u8(s), s.size(), nullptr, &len));
  if (!out) return std::string(s);
  return from_u8(out.get(), len);
}

bool is_nfc(std::string_view s) {
  // Pure ASCII is always NFC: skip the library call for the common case.
  bool ascii = true;
  for (char c : s) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  return ascii || to_nfc(s) == s;
}

std::string to_upper(std::string_view s) {
  if (s.empty()) return {};
  const std::string valid = make_valid(s);
  std::size_t len = 0;
  // No language: locale-independent mappings (Vietnamese needs no special
  // rules); the result is re-composed to NFC.
  std::unique_ptr<std::uint8_t, free_deleter> out(
      u8_toupper(as_u8(valid), valid.size(), nullptr, UNINORM_NFC, nullptr, &len));
  if (!out) return valid;
  return from_u8(out.get(), len);
}

std::string mask_name(std::string_view full_name) {
  const std::string upper = to_upper(to_nfc(make_valid(full_name)));
  std::vector<std::string_view> words;
  for (std::size_t pos = 0; pos < upper.size();) {
    std::size_t end = pos;
    while (end < upper.size()) {
      const decoded d = decode_at(upper, end);
      if (d.len == 0 || breaks_name(d.cp)) break;
      end += d.len;
    }
    if (end > pos) words.push_back(std::string_view(upper).substr(pos, end - pos));
    // Skip the separator (an ill-formed byte cannot remain after make_valid,
    // but a separator of any length must still make progress).
    pos = end < upper.size() ? end + std::max<std::size_t>(decode_at(upper, end).len, 1) : end;
  }
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += ' ';
    if (i == 0 && words.size() > 1 && is_family_name(words[0])) {
      out += words[0];
      continue;
    }
    out += initial(words[i]);
    out += '.';
  }
  return out;
}

std::string mask_id(std::string_view id_number) {
  const std::vector<std::string> chars = characters(id_number);
  const std::size_t n = chars.size();
  const std::size_t shown = id_mask_shown(n);
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    const bool alnum = chars[i].size() == 1 && std::isalnum(static_cast<unsigned char>(chars[i][0])) != 0;
    out += i + shown >= n && alnum ? chars[i] : std::string("*");
  }
  return out;
}

std::size_t id_mask_shown(std::size_t length) {
  if (length <= id_mask_min_hidden) return 0;
  return std::min<std::size_t>(length - id_mask_min_hidden, 2);
}

std::string escape_for_log(std::string_view bytes, std::size_t max_bytes) {
  std::string out;
  std::size_t pos = 0;
  while (pos < bytes.size() && pos < max_bytes) {
    const decoded d = decode_at(bytes, pos);
    if (d.len == 0) {
      out += "\\x";
      append_hex_byte(out, static_cast<unsigned char>(bytes[pos]));
      ++pos;
      continue;
    }
    // A character that would straddle the limit is not rendered in part.
    if (pos + d.len > max_bytes) break;
    if (must_escape(d.cp)) {
      for (std::size_t i = 0; i < d.len; ++i) {
        out += "\\x";
        append_hex_byte(out, static_cast<unsigned char>(bytes[pos + i]));
      }
    } else {
      out += bytes.substr(pos, d.len);
    }
    pos += d.len;
  }
  if (pos < bytes.size()) out += "...";
  return out;
}

std::optional<std::size_t> first_control(std::string_view s, std::string_view allowed) {
  for (std::size_t pos = 0; pos < s.size();) {
    const decoded d = decode_at(s, pos);
    if (d.len == 0) return pos;
    const bool is_allowed = d.cp < 0x80 && allowed.find(static_cast<char>(d.cp)) != std::string_view::npos;
    if (d.cp != U'\\' && must_escape(d.cp) && !is_allowed) return pos;
    pos += d.len;
  }
  return std::nullopt;
}

std::string json_for_terminal(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (std::size_t pos = 0; pos < json.size();) {
    const decoded d = decode_at(json, pos);
    if (d.len == 0) {
      out += "\\ufffd";
      ++pos;
      continue;
    }
    const bool whitespace = d.cp == U'\t' || d.cp == U'\n' || d.cp == U'\r';
    if (d.cp != U'\\' && !whitespace && must_escape(d.cp)) {
      // Every code point must_escape names is in the BMP: four hex digits.
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out.push_back(hex_digits[(d.cp >> shift) & 0xF]);
    } else {
      out += json.substr(pos, d.len);
    }
    pos += d.len;
  }
  return out;
}

std::string hex_prefix(std::string_view bytes, std::size_t max_bytes) {
  std::string out;
  const std::size_t n = bytes.size() < max_bytes ? bytes.size() : max_bytes;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= '0' && c <= '9') out += "3?";
    else append_hex_byte(out, c);
  }
  return out;
}

std::string shape(std::string_view bytes, std::size_t max_bytes) {
  std::string out;
  std::size_t pos = 0;
  while (pos < bytes.size() && pos < max_bytes) {
    const decoded d = decode_at(bytes, pos);
    if (d.len == 0 || (d.cp < 0x80 && (d.cp < 0x20 || d.cp == 0x7F || d.cp == U'\\'))) {
      out += "\\x";
      append_hex_byte(out, static_cast<unsigned char>(bytes[pos]));
      ++pos;
      continue;
    }
    const auto cp = static_cast<ucs4_t>(d.cp);
    if (d.cp < 0x80) {
      const char c = static_cast<char>(d.cp);
      if (c >= 'A' && c <= 'Z') out += 'A';
      else if (c >= 'a' && c <= 'z') out += 'a';
      else if (c >= '0' && c <= '9') out += '9';
      else out += c;
    } else if (uc_is_general_category(cp, UC_CATEGORY_L)) {
      out += uc_is_upper(cp) || uc_is_general_category(cp, UC_TITLECASE_LETTER) ? 'A' : 'a';
    } else if (uc_is_general_category(cp, UC_CATEGORY_N)) {
      out += '9';
    } else if (uc_is_general_category(cp, UC_CATEGORY_M)) {
      // combining marks (NFD input): part of the letter before
    } else if (uc_is_general_category(cp, UC_CATEGORY_C) || must_escape(d.cp)) {
      out += fmt_code_point(d.cp);
    } else {
      out += '*';
    }
    pos += d.len;
  }
  if (pos < bytes.size()) out += "...";
  return out;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

}  // namespace ravao::text
