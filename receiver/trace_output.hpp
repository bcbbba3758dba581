#pragma once
// A trace's answer as the health department reads it: a table for the
// terminal (escaped), CSV for a spreadsheet (formula injection neutralised,
// common/markup.hpp) and JSON. Times are local (the request's UTC offset);
// JSON also gives milliseconds since the epoch.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "receiver/trace_query.hpp"

namespace ravao::receiver {

// "2026-12-01 14:05:00" at `offset_minutes` from UTC; "" for nullopt.
std::string local_time(std::optional<std::int64_t> ms, int offset_minutes);
// "2026-12-01", "2026-12-01T14:05", "2026-12-01 14:05:30" at that offset ->
// ms since the epoch; a date alone is its midnight, or with `end_of_day` the
// next midnight.
result<std::int64_t> parse_local_time(std::string_view text, int offset_minutes, bool end_of_day);
// "+07:00", "-05:30", "Z" -> minutes.
result<int> parse_utc_offset(std::string_view text);

std::string trace_table(const trace_answer& a, const trace_request& rq);
std::string trace_csv(const trace_answer& a, const trace_request& rq);
std::string trace_json(const trace_answer& a, const trace_request& rq);

}  // namespace ravao::receiver
