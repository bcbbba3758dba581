#pragma once
// The province's site table (docs/weekly-report.md, "The site table"): which
// gateway is at which site, in which commune, serving how many people. Loaded
// from the CSV the province keeps (`ravao-receiver sites load`); pure parsing
// and validation here, storing in report_queries.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace ravao::receiver {

struct site {
  std::string id;        // letters, digits, . _ - (as a gateway id)
  std::string name;      // "Bưu điện Ba Đình": UTF-8, NFC
  std::string commune;   // "Phường Ba Đình"
  std::string province;  // "Hà Nội"
  std::int64_t population = 0;  // people the site serves, ≥ 1
  std::vector<std::string> gateways;  // the site's gateways; the site id when the column is empty
  std::int64_t line = 0;  // its line in the loaded file (the table's order)
};

// The whole file: a header line naming the columns
// site_id,name,commune,province,population[,gateways] (in any order; unknown
// columns are refused), then one site per line. RFC 4180 quoting within a
// line, CRLF or LF, a UTF-8 byte order mark (spreadsheets write one) skipped.
// Every problem is reported as "FILE:LINE: ..." (all of them, up to 20), and
// nothing is returned unless the whole file is valid.
result<std::vector<site>> parse_site_table(std::string_view csv, std::string_view file_name);

}  // namespace ravao::receiver
