#include "receiver/weekly_report.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace ravao::receiver {

namespace {

void add(week_figures& to, const week_figures& from) {
  to.gateways += from.gateways;
  to.gateways_silent += from.gateways_silent;
  to.points_deployed += from.points_deployed;
  to.points_active += from.points_active;
  to.visits += from.visits;
  to.declarations += from.declarations;
  to.proxy_declarations += from.proxy_declarations;
  to.slips_issued += from.slips_issued;
  to.slips_returned += from.slips_returned;
  for (std::size_t d = 0; d < to.visits_by_day.size(); ++d) to.visits_by_day[d] += from.visits_by_day[d];
}

}  // namespace

std::optional<double> area_figures::points_per_100() const {
  if (population <= 0) return std::nullopt;
  return static_cast<double>(figures.points_deployed) * 100.0 / static_cast<double>(population);
}

bool area_figures::meets_target() const { return population > 0 && figures.points_deployed * 100 >= population; }

std::optional<std::int64_t> last_contact(const gateway_contact& c) {
  if (c.last_batch_ms && c.last_heartbeat_ms) return std::max(*c.last_batch_ms, *c.last_heartbeat_ms);
  return c.last_batch_ms ? c.last_batch_ms : c.last_heartbeat_ms;
}

weekly_report build_weekly_report(const iso_week& week, std::int64_t as_of_ms, const std::vector<site>& sites,
                                  const std::vector<activity_row>& activity, const std::vector<counter_seen>& counters,
                                  const std::vector<gateway_contact>& contacts) {
  weekly_report out;
  out.week = week;
  out.as_of_ms = as_of_ms;

  // Every gateway: the site table's first (in its order), then the others the store knows.
  std::map<std::string, std::size_t, std::less<>> index;
  const auto gateway_at = [&](const std::string& id, const std::string& site_id) -> gateway_figures& {
    const auto [it, fresh] = index.emplace(id, out.gateways.size());
    if (fresh) out.gateways.push_back(gateway_figures{id, site_id, std::nullopt, true, {}});
    return out.gateways[it->second];
  };
  for (const auto& s : sites) {
    for (const auto& g : s.gateways) gateway_at(g, s.id);
  }
  std::vector<const gateway_contact*> others;
  for (const auto& c : contacts) {
    if (!index.contains(c.gateway)) others.push_back(&c);
  }
  for (const auto* c : others) gateway_at(c->gateway, "");
  for (const auto& c : contacts) {
    auto& g = gateway_at(c.gateway, "");
    g.last_contact_ms = last_contact(c);
  }

  // Counters: deployed (seen ever) and active (a record this week), counted once each.
  std::set<std::pair<std::string_view, std::string_view>> deployed, active;
  for (const auto& c : counters) deployed.emplace(c.gateway, c.counter);
  const std::int64_t first_day = local_day(week.start_ms);
  for (const auto& a : activity) {
    deployed.emplace(a.gateway, a.counter);
    active.emplace(a.gateway, a.counter);
    auto& f = gateway_at(a.gateway, "").figures;
    if (a.type == "visit_opened") {
      f.visits += a.records;
      const std::int64_t d = a.day - first_day;
      if (d >= 0 && d < 7) f.visits_by_day[static_cast<std::size_t>(d)] += a.records;
    } else if (a.type == "declaration") {
      f.declarations += a.records;
      f.proxy_declarations += a.with_actor;
    } else if (a.type == "slip_issued") {
      f.slips_issued += a.records;
    } else if (a.type == "slip_returned") {
      f.slips_returned += a.records;
    }
  }
  for (const auto& [gateway, counter] : deployed) ++gateway_at(std::string(gateway), "").figures.points_deployed;
  for (const auto& [gateway, counter] : active) ++gateway_at(std::string(gateway), "").figures.points_active;
  // Silence, judged after every gateway is known (gateway_at may add one seen only in records).
  for (auto& g : out.gateways) {
    g.figures.gateways = 1;
    g.silent = !g.last_contact_ms || *g.last_contact_ms < as_of_ms - silent_after_ms;
    g.figures.gateways_silent = g.silent ? 1 : 0;
  }

  // Sites, communes, the province.
  std::map<std::string, std::size_t, std::less<>> site_index;
  for (const auto& s : sites) {
    site_index.emplace(s.id, out.sites.size());
    out.sites.push_back(area_figures{s.id, s.name, s.commune, s.province, s.population, {}});
  }
  std::map<std::pair<std::string, std::string>, area_figures> communes;
  for (const auto& s : out.sites) {
    auto& c = communes[{s.province, s.commune}];
    c.id = c.name = c.commune = s.commune;
    c.province = s.province;
    c.population += s.population;
  }
  // The province's name when the table holds one province (the usual case); "" otherwise.
  if (!sites.empty() && std::ranges::all_of(sites, [&](const site& s) { return s.province == sites.front().province; })) {
    out.total.name = sites.front().province;
  }
  for (const auto& s : out.sites) out.total.population += s.population;
  for (const auto& g : out.gateways) {
    add(out.total.figures, g.figures);
    const auto it = site_index.find(g.site);
    if (it == site_index.end()) continue;
    auto& s = out.sites[it->second];
    add(s.figures, g.figures);
    add(communes[{s.province, s.commune}].figures, g.figures);
  }
  for (auto& [key, c] : communes) out.communes.push_back(std::move(c));
  return out;
}

}  // namespace ravao::receiver
