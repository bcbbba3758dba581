// ravao-receiver report weekly: the province's weekly report (docs/weekly-report.md).

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "receiver/args.hpp"
#include "receiver/commands.hpp"
#include "receiver/iso_week.hpp"
#include "receiver/report.hpp"
#include "receiver/report_output.hpp"
#include "receiver/report_queries.hpp"
#include "receiver/weekly_report.hpp"

namespace ravao::receiver {

namespace {

constexpr option_spec specs[] = {{"db"}, {"week"}, {"format"}, {"out"}, {"as-of"}};

constexpr const char* help = R"(usage: ravao-receiver report weekly --db FILE|URL [--week YYYY-Www] [--format csv|html]
                                    [--out FILE] [--as-of TIME]

The weekly report: per gateway, site, commune and the province, scan points
(counters) deployed and active, visits, declarations and proxy declarations,
paper slips issued and returned, gateways silent for more than 24 hours, and
scan points per 100 inhabitants against the target of one per 100. Weeks
and days are Vietnam time (UTC+7, Monday to Sunday). Sites, communes and
population come from the site table (ravao-receiver sites load).

  --db FILE|URL    the receiver database (serve --db)
  --week W         the ISO week, e.g. 2026-W49 (default: the last full week)
  --format F       csv (default) or html (a printable A4 page with charts)
  --out FILE       write there instead of stdout
  --as-of TIME     when silence is judged, UTC, e.g. 2026-12-07T00:00:00Z
                   (default: the end of the week, or now for the current week)
)";

int failure(const std::string& message) {
  std::fprintf(stderr, "ravao-receiver report: %s\n", message.c_str());
  return 1;
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int weekly(std::span<char*> args) {
  const options opts(specs, args);
  if (opts.help()) {
    std::fputs(help, stdout);
    return 0;
  }
  const std::int64_t now = now_ms();
  iso_week week = week_of(now - 7 * day_ms);
  if (const auto w = opts.get("week")) {
    auto parsed = parse_iso_week(*w);
    if (!parsed) throw usage_error("--week: " + parsed.error().context);
    week = *parsed;
  }
  std::int64_t as_of = std::min(now, week.end_ms);
  if (const auto t = opts.get("as-of")) {
    auto parsed = parse_utc_time(*t);
    if (!parsed) throw usage_error("--as-of: " + parsed.error().context);
    as_of = *parsed;
  }
  const std::string format = opts.get("format").value_or("csv");
  if (format != "csv" && format != "html") throw usage_error(fmt::format("--format: \"{}\" (expected csv or html)", shown(format)));

  auto db = open_report_queries(opts.required("db"), store_mode::read_only);
  if (!db) return failure(db.error().message());
  report_queries& q = **db;
  auto sites = q.sites();
  if (!sites) return failure(sites.error().message());
  auto activity = q.activity(week.start_ms, week.end_ms);
  if (!activity) return failure(activity.error().message());
  auto counters = q.counters_seen();
  if (!counters) return failure(counters.error().message());
  auto contacts = q.contacts();
  if (!contacts) return failure(contacts.error().message());
  const auto report = build_weekly_report(week, as_of, *sites, *activity, *counters, *contacts);
  const std::string text = format == "csv" ? weekly_report_csv(report) : weekly_report_html(report);

  if (const auto out = opts.get("out")) {
    std::ofstream f(*out, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) return failure(fmt::format("{}: cannot write", shown(*out)));
  } else if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) {
    return failure("cannot write to stdout");
  }
  if (sites->empty()) {
    std::fputs("ravao-receiver report: warning: the site table is empty (ravao-receiver sites load): no sites, "
               "communes or population\n",
               stderr);
  }
  return 0;
}

}  // namespace

int report_command(std::span<char*> args) {
  const std::string_view sub = args.empty() ? "" : args[0];
  if (sub == "--help" || sub == "-h") {
    std::fputs(help, stdout);
    return 0;
  }
  if (sub == "weekly") return weekly(args.subspan(1));
  throw usage_error(sub.empty() ? "expected weekly" : fmt::format("unknown report \"{}\" (expected weekly)", shown(sub)));
}

}  // namespace ravao::receiver
