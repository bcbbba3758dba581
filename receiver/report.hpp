#pragma once
// Small helpers shared by the `records` and `stats` commands.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/text.hpp"

namespace ravao::receiver {

// "2026-11-23T08:00:00.123Z"; "unknown" for nullopt.
std::string iso_utc(std::optional<std::int64_t> ms);

// A stored text as it may reach the terminal: whole, with control and bidi
// characters, bytes that are not UTF-8 and the backslash as \xNN
// (text::escape_for_log). Stored fields are the gateways' (and sealed ones
// anyone's) to choose. Inline, so that report.cpp (the dates) links without
// the text library: tests/cross/armhf_2038.sh builds it alone for armhf.
inline std::string shown(std::string_view stored) { return text::escape_for_log(stored, stored.size()); }

}  // namespace ravao::receiver
