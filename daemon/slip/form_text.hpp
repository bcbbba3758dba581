#pragma once
// The first checks of every value typed into the form, and of every label
// written into a form definition: bytes, UTF-8, no control or invisible
// character, NFC, spaces trimmed and collapsed, length in characters
// (docs/declarations.md, "What is checked, in order"). Untrusted input.

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

namespace ravao::slip {

// A problem with one value, in words for staff: `en` for the log and
// ravaoctl, `vi` to read after the field's label ("Số điện thoại" + " " + vi).
// Neither repeats the value (it is personal data).
struct text_problem {
  std::string en;
  std::string vi;
};

inline constexpr std::size_t max_value_bytes = 4096;  // any value, before normalising

// The value in NFC with spaces (and U+00A0) trimmed and runs collapsed, at
// most `max_chars` characters; or what is wrong.
std::expected<std::string, text_problem> clean_text(std::string_view raw, std::size_t max_chars);

// Characters (code points) in well-formed UTF-8.
std::size_t char_count(std::string_view s);

}  // namespace ravao::slip
