#pragma once
// Text escaped for the formats ravao writes for people to open in other
// programs: CSV for spreadsheets and XML/SVG/HTML character data. Shared by
// ravao-web's downloads and ravao-receiver's reports; pure functions.

#include <string>
#include <string_view>

namespace ravao {

// One CSV cell: a leading = + - @ TAB or CR gets a ' in front (spreadsheet
// formula injection), then the cell is quoted when it holds , " CR or LF.
std::string csv_cell(std::string_view cell);

// Text escaped for XML/SVG/HTML character data and attribute values; C0
// controls other than TAB and LF, which XML forbids, are dropped.
std::string xml_escape(std::string_view s);

}  // namespace ravao
