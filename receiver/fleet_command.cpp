// ravao-receiver fleet: every gateway's last word (docs/weekly-report.md, "Fleet").

#include <chrono>
#include <cstdio>
#include <string>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/text.hpp"
#include "receiver/args.hpp"
#include "receiver/commands.hpp"
#include "receiver/fleet_status.hpp"
#include "receiver/iso_week.hpp"
#include "receiver/report.hpp"
#include "receiver/report_queries.hpp"

namespace ravao::receiver {
namespace json = boost::json;

namespace {

constexpr option_spec specs[] = {{"db"}, {"json", false}, {"as-of"}};

constexpr const char* help = R"(usage: ravao-receiver fleet --db FILE|URL [--json] [--as-of TIME]

Every gateway: its site, status (ok; silent: nothing received for more than
24 hours; never: in the site table but never heard from), last heartbeat and
last batch (receiver's clock, UTC), software version, backlog (records not
yet acknowledged) and its oldest, clock state, and alarms from its last
heartbeat (store_full, dead_letters=N, device_offline:ID, ID:printer status,
clock_unsynced).

  --db FILE|URL the receiver database (serve --db)
  --json        one JSON array
  --as-of TIME  judge silence at this UTC time (default: now), e.g. 2026-12-07T00:00:00Z
)";

int failure(const std::string& message) {
  std::fprintf(stderr, "ravao-receiver fleet: %s\n", message.c_str());
  return 1;
}

json::value opt(const std::optional<std::int64_t>& v) { return v ? json::value(*v) : json::value(nullptr); }

}  // namespace

int fleet_command(std::span<char*> args) {
  const options opts(specs, args);
  if (opts.help()) {
    std::fputs(help, stdout);
    return 0;
  }
  using namespace std::chrono;
  std::int64_t as_of = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  if (const auto t = opts.get("as-of")) {
    auto parsed = parse_utc_time(*t);
    if (!parsed) throw usage_error("--as-of: " + parsed.error().context);
    as_of = *parsed;
  }
  auto db = open_report_queries(opts.required("db"), store_mode::read_only);
  if (!db) return failure(db.error().message());
  report_queries& q = **db;
  auto sites = q.sites();
  if (!sites) return failure(sites.error().message());
  auto contacts = q.contacts();
  if (!contacts) return failure(contacts.error().message());
  const auto entries = fleet(*sites, *contacts, as_of);

  if (opts.flag("json")) {
    json::array out;
    for (const auto& e : entries) {
      json::array alarms;
      for (const auto& a : e.alarms) alarms.emplace_back(a);
      out.push_back(json::object{{"gateway", e.gateway},
                                 {"site", e.site.empty() ? json::value(nullptr) : json::value(e.site)},
                                 {"status", e.status},
                                 {"last_contact_ms", opt(e.last_contact_ms)},
                                 {"last_heartbeat_ms", opt(e.last_heartbeat_ms)},
                                 {"last_batch_ms", opt(e.last_batch_ms)},
                                 {"version", e.version.empty() ? json::value(nullptr) : json::value(e.version)},
                                 {"backlog", opt(e.backlog)},
                                 {"oldest_unsent_ms", opt(e.oldest_unsent_ms)},
                                 {"clock_synced", e.clock_synced ? json::value(*e.clock_synced) : json::value(nullptr)},
                                 {"alarms", alarms}});
    }
    std::printf("%s\n", text::json_for_terminal(json::serialize(out)).c_str());
    return 0;
  }
  std::size_t silent = 0, never = 0;
  std::printf("%-24s %-20s %-6s %-24s %-24s %-10s %8s %-8s %s\n", "GATEWAY", "SITE", "STATUS", "LAST HEARTBEAT",
              "LAST BATCH", "VERSION", "BACKLOG", "CLOCK", "ALARMS");
  for (const auto& e : entries) {
    silent += e.status == "silent";
    never += e.status == "never";
    const auto when = [](const std::optional<std::int64_t>& ms) { return ms ? iso_utc(ms) : std::string("never"); };
    std::printf("%-24s %-20s %-6s %-24s %-24s %-10s %8s %-8s %s\n", shown(e.gateway).c_str(),
                shown(e.site.empty() ? "-" : e.site).c_str(), e.status.c_str(), when(e.last_heartbeat_ms).c_str(),
                when(e.last_batch_ms).c_str(), shown(e.version.empty() ? "-" : e.version).c_str(),
                e.backlog ? fmt::format("{}", *e.backlog).c_str() : "-",
                !e.clock_synced ? "-" : *e.clock_synced ? "synced" : "UNSYNCED",
                e.alarms.empty() ? "-" : shown(text::join(e.alarms, " ")).c_str());
  }
  std::printf("\n%zu gateways: %zu silent for more than 24 hours, %zu never heard from\n", entries.size(), silent,
              never);
  return 0;
}

}  // namespace ravao::receiver
