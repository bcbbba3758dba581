#pragma once
// The weekly report written for people: CSV for spreadsheets (every text
// cell through ravao::csv_cell: a site named "=HYPERLINK(...)" stays text)
// and one self-contained HTML page for printing on A4 (inline CSS, SVG charts
// drawn here, Vietnamese headings; every text through ravao::xml_escape).

#include <string>

#include "receiver/weekly_report.hpp"

namespace ravao::receiver {

// One table: a row per gateway, site, commune and the province (column `level`).
std::string weekly_report_csv(const weekly_report& r);
std::string weekly_report_html(const weekly_report& r);

}  // namespace ravao::receiver
