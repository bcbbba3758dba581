#pragma once
// Text helpers for untrusted UTF-8: validation, NFC normalisation, masking
// for display, and escaping for logs. Everything here is pure and total: any
// byte sequence is a valid input and nothing throws.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ravao::text {

// Offset of the first byte that is not part of well-formed UTF-8 (overlongs,
// surrogates and code points above U+10FFFF are ill-formed), or nullopt.
std::optional<std::size_t> first_invalid_utf8(std::string_view s);

// NFC form of valid UTF-8 (libunistring). Input must be valid UTF-8; on any
// failure the input is returned unchanged.
std::string to_nfc(std::string_view s);

// True when `s` (valid UTF-8) is already in NFC.
bool is_nfc(std::string_view s);

// Upper-case of valid UTF-8 including Vietnamese letters (ư -> Ư, đ -> Đ).
std::string to_upper(std::string_view s);

// Display form of a person's name (docs/privacy.md, "Masks"): the family
// name kept, every other word reduced to its first letter and a dot, all
// upper case: "Nguyễn Văn An" -> "NGUYỄN V. A.". Words are split on any
// Unicode White_Space, separator, control, format or other default-ignorable
// character and on ill-formed bytes (an NBSP or a zero-width space separates
// like a space). Fails closed: the family name is kept whole only when the
// name has more than one word and it is at most 7 Latin letters (one
// Vietnamese syllable); otherwise it too is reduced to its initial, so a
// name glued by an unknown separator shows one letter. Empty in, empty out.
std::string mask_name(std::string_view full_name);

// Display form of an ID number (docs/privacy.md, "Masks"): at least
// id_mask_min_hidden characters are always hidden, and at most the last two
// are shown, only when they are ASCII letters or digits:
// "001099012345" -> "**********45", "123456789" -> "*******89",
// "C1234567" -> "*******7", "1234567" -> "*******". Each character
// becomes one '*', so the length (the kind of document) stays visible.
std::string mask_id(std::string_view id_number);

// What mask_id hides at least, and how many trailing characters it shows
// of an ID of `length` characters: max(0, min(length - 7, 2)).
inline constexpr std::size_t id_mask_min_hidden = 7;
std::size_t id_mask_shown(std::size_t length);

// Printable, single-line rendering of arbitrary bytes for logs and tables:
// valid UTF-8 printable text is kept; control bytes, invalid UTF-8 and '\\'
// become \xNN escapes. At most max_bytes of input are rendered, then "...".
std::string escape_for_log(std::string_view bytes, std::size_t max_bytes = 64);

// Offset of the first byte that must not reach a terminal as itself: the
// start of a code point escape_for_log escapes (C0 and C1 controls, DEL,
// U+2028/U+2029, bidirectional formatting controls; '\\' is fine here) or a
// byte that is not well-formed UTF-8. nullopt when there is none. ASCII
// controls listed in `allowed` (e.g. "\t") are accepted.
std::optional<std::size_t> first_control(std::string_view s, std::string_view allowed = {});

// Serialized JSON (from a JSON writer) made safe to print on a terminal,
// meaning unchanged: the characters a writer leaves raw that a terminal acts
// on (DEL, C1 controls such as U+009B CSI, line and paragraph separators,
// bidi controls) become \uXXXX escapes, bytes that are not UTF-8 become
// \ufffd, and a raw C0 control other than TAB, LF and CR (a writer escapes
// those inside strings; outside strings they are not JSON) becomes \u00XX.
std::string json_for_terminal(std::string_view json);

// Hex of the first max_bytes bytes: "1b40e3". ASCII digits are hidden as
// "3?" ("0019" -> "3?3?3?3?"): refused frames are logged and sampled with this
// preview, which must show what went wrong (an ESC/POS command, a BOM, NUL)
// but never an ID number.
std::string hex_prefix(std::string_view bytes, std::size_t max_bytes = 32);

// The shape of arbitrary bytes, for logs and rejected-scan samples, which
// must show what went wrong (an ESC/POS command, a BOM, NUL, a wrong
// separator) but never a name or an ID number: letters become 'A' or 'a' (by
// case, Vietnamese letters too; combining marks are dropped), digits '9',
// ASCII punctuation and spaces stay, control bytes and bytes that are not
// UTF-8 become \xNN, other code points \u{XXXX} when they are format
// characters (a BOM, bidi controls) and '*' otherwise. At most max_bytes of
// input are shaped, then "...".
//   "001090012345||Nguyễn Văn An|0101" -> "999999999999||Aaaaaa Aaa Aa|9999"
std::string shape(std::string_view bytes, std::size_t max_bytes = 32);

// The items with `separator` between them: join({"a", "b"}) == "a, b".
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");

}  // namespace ravao::text
