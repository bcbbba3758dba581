#pragma once
// The supervisor's downloads, drawn from ravaod's `summary` result
// (docs/control.md): the weekly CSV and today's visits per hour as SVG.
// Pure functions; every text that came from ravaod is escaped for its
// format, and CSV cells a spreadsheet would run as a formula are neutralised.

#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "common/markup.hpp"

namespace ravao::web {

using ravao::csv_cell;
using ravao::xml_escape;

// `summary`'s "days" as CSV (UTF-8 with a BOM so that spreadsheets read the
// Vietnamese header), one row per day and counter, CRLF line ends.
std::string summary_csv(const boost::json::value& summary);

// `summary`'s "today_hours" as an SVG bar chart: visits per hour, all
// counters together, the hours from the first to the last with visits
// (at least 7:00 to 17:00).
std::string hourly_svg(const boost::json::value& summary, std::string_view title);

// A JSON value serialised for a browser: < > & and the characters a
// terminal or a text layout acts on (U+2028/2029, bidi controls, C1) written
// as \uXXXX, so no response can be sniffed or rendered as markup.
std::string web_json(const boost::json::value& v);

}  // namespace ravao::web
