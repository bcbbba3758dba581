// The weekly report as CSV (docs/weekly-report.md, "CSV").

#include <fmt/format.h>

#include "common/markup.hpp"
#include "receiver/report.hpp"
#include "receiver/report_output.hpp"

namespace ravao::receiver {

namespace {

std::string figures_cells(const week_figures& f) {
  std::string out = fmt::format("{},{},{},{},{},{},{},{},{}", f.gateways, f.gateways_silent, f.points_deployed,
                                f.points_active, f.visits, f.declarations, f.proxy_declarations, f.slips_issued,
                                f.slips_returned);
  for (const auto v : f.visits_by_day) out += fmt::format(",{}", v);
  return out;
}

std::string area_row(std::string_view level, const area_figures& a) {
  const auto per_100 = a.points_per_100();
  return fmt::format("{},{},{},{},{},{},{},{},{},\r\n", level, csv_cell(a.id), csv_cell(a.name), csv_cell(a.commune),
                     csv_cell(a.province), a.population > 0 ? fmt::format("{}", a.population) : std::string(),
                     figures_cells(a.figures), per_100 ? fmt::format("{:.2f}", *per_100) : std::string(),
                     a.population > 0 ? (a.meets_target() ? "yes" : "no") : "");
}

}  // namespace

std::string weekly_report_csv(const weekly_report& r) {
  std::string out = "level,id,name,commune,province,population,gateways,gateways_silent,scan_points_deployed,"
                    "scan_points_active,visits,declarations,proxy_declarations,slips_issued,slips_returned";
  for (int d = 0; d < 7; ++d) out += ",visits_" + r.week.date(d);
  out += ",scan_points_per_100,target_met,last_contact_utc\r\n";
  out += area_row("province", r.total);
  for (const auto& c : r.communes) out += area_row("commune", c);
  for (const auto& s : r.sites) out += area_row("site", s);
  for (const auto& g : r.gateways) {
    // A gateway's row: its site in `commune`'s place would mislead; the site id goes in `name`.
    out += fmt::format("gateway,{},{},,,,{},,,{}\r\n", csv_cell(g.gateway), csv_cell(g.site), figures_cells(g.figures),
                       g.last_contact_ms ? iso_utc(g.last_contact_ms) : std::string("never"));
  }
  return out;
}

}  // namespace ravao::receiver
