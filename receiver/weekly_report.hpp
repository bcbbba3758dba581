#pragma once
// The weekly report's figures (docs/weekly-report.md): per gateway, site,
// commune and the whole province, computed from what report_queries returns.
// Pure: no I/O, no clock (the caller passes "as of").

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "receiver/iso_week.hpp"
#include "receiver/report_queries.hpp"

namespace ravao::receiver {

inline constexpr std::int64_t silent_after_ms = 24 * 3'600'000;

struct week_figures {
  std::int64_t gateways = 0;
  std::int64_t gateways_silent = 0;    // last heard > 24 h before "as of", or never
  std::int64_t points_deployed = 0;    // counters ever seen (records, last heartbeat)
  std::int64_t points_active = 0;      // counters with a record this week
  std::int64_t visits = 0;             // visit_opened records this week
  std::int64_t declarations = 0;       // declaration records
  std::int64_t proxy_declarations = 0; // of them, made by a staff member for the visitor (with an actor)
  std::int64_t slips_issued = 0;
  std::int64_t slips_returned = 0;
  std::array<std::int64_t, 7> visits_by_day{};  // Monday first, local days
};

struct gateway_figures {
  std::string gateway;
  std::string site;  // "" when the site table does not name it
  std::optional<std::int64_t> last_contact_ms;  // last batch or heartbeat received
  bool silent = false;
  week_figures figures;
};

struct area_figures {
  std::string id;        // site id; commune name; "" for the province
  std::string name;      // site name, commune name, province name
  std::string commune;
  std::string province;
  std::int64_t population = 0;  // 0: unknown (gateways outside the site table)
  week_figures figures;
  // Scan points per 100 inhabitants; nullopt without a population.
  std::optional<double> points_per_100() const;
  bool meets_target() const;  // at least one scan point per 100 inhabitants
};

struct weekly_report {
  iso_week week;
  std::int64_t as_of_ms = 0;
  std::vector<gateway_figures> gateways;  // by site table order, then unknown gateways by id
  std::vector<area_figures> sites;        // site table order
  std::vector<area_figures> communes;     // by province, commune
  area_figures total;                     // the whole table (and gateways outside it)
};

// `as_of_ms`: when "silent" is judged (the end of the week for a past week, now otherwise).
weekly_report build_weekly_report(const iso_week& week, std::int64_t as_of_ms, const std::vector<site>& sites,
                                  const std::vector<activity_row>& activity, const std::vector<counter_seen>& counters,
                                  const std::vector<gateway_contact>& contacts);

// The last time the receiver heard from a gateway: its last batch or heartbeat.
std::optional<std::int64_t> last_contact(const gateway_contact& c);

}  // namespace ravao::receiver
