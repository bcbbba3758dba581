// ravao-receiver stats: what each gateway sent, stored, duplicated and missed.

#include <cstdio>
#include <map>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "receiver/args.hpp"
#include "receiver/commands.hpp"
#include "receiver/store.hpp"
#include "receiver/report.hpp"
#include "common/text.hpp"

namespace ravao::receiver {
namespace json = boost::json;

namespace {

constexpr option_spec specs[] = {{"db"}, {"json", false}};

constexpr const char* help = R"(usage: ravao-receiver stats --db FILE|URL [--json]

Per gateway and stream: records stored, duplicates received and discarded,
the highest seq, gaps (seqs below it never stored: dead-lettered by the
gateway, or still to come), records whose time is unknown (clock never
synchronised in their boot), and the last batch. Per gateway: the last
heartbeat, requests by outcome (stored, rejected, conflict, malformed,
too_large, unauthorized, forbidden, revoked, throttled, server_error, lost_ack,
store_failed, heartbeat; requests whose gateway could not be read count under
"-"), and conflicts: batches refused with 409 because a record's (stream, seq)
was already stored with other content (a forgery or a reused stream: the
refused copies are in the database's `conflicts` table; investigate).

  --db FILE|URL  the receiver database (serve --db)
  --json         one JSON object {"streams": [...], "gateways": [...]}
)";

int failure(const std::string& message) {
  std::fprintf(stderr, "ravao-receiver stats: %s\n", message.c_str());
  return 1;
}

json::value opt_value(const std::optional<std::int64_t>& v) { return v ? json::value(*v) : json::value(nullptr); }

}  // namespace

int stats_command(std::span<char*> args) {
  const options opts(specs, args);
  if (opts.help()) {
    std::fputs(help, stdout);
    return 0;
  }
  auto db = open_store(opts.required("db"), store_mode::read_only);
  if (!db) return failure(db.error().message());
  auto st = (*db)->stats();
  if (!st) return failure(st.error().message());

  json::array streams;
  for (const auto& s : st->streams) {
    streams.push_back(json::object{{"gateway", s.gateway},
                                   {"stream", s.stream},
                                   {"records", s.records},
                                   {"duplicates", s.duplicates},
                                   {"highest_seq", s.highest_seq},
                                   {"gaps", s.highest_seq - s.records},
                                   {"time_unknown", s.time_unknown},
                                   {"last_batch_ms", s.last_ms}});
  }
  // Gateways: from batches, heartbeats and counted requests alike.
  std::map<std::string, json::object> gateways;
  for (const auto& g : st->gateways) {
    auto& out = gateways[g.gateway];
    out["last_batch_ms"] = opt_value(g.last_batch_ms);
    out["last_heartbeat_ms"] = opt_value(g.last_heartbeat_ms);
  }
  for (const auto& o : st->outcomes) {
    auto& g = gateways[o.gateway.empty() ? "-" : o.gateway];
    if (!g.contains("requests")) g["requests"] = json::object{};
    g["requests"].as_object()[o.outcome] = o.count;
  }
  json::array gateway_list;
  for (auto& [name, g] : gateways) {
    json::object out{{"gateway", name}};
    out["last_batch_ms"] = g.contains("last_batch_ms") ? g["last_batch_ms"] : json::value(nullptr);
    out["last_heartbeat_ms"] = g.contains("last_heartbeat_ms") ? g["last_heartbeat_ms"] : json::value(nullptr);
    out["requests"] = g.contains("requests") ? g["requests"] : json::object{};
    const auto& requests = out["requests"].as_object();
    out["conflicts"] = requests.contains("conflict") ? requests.at("conflict") : json::value(0);
    gateway_list.push_back(std::move(out));
  }

  if (opts.flag("json")) {
    std::printf("%s\n",
                text::json_for_terminal(json::serialize(json::object{{"streams", streams}, {"gateways", gateway_list}}))
                    .c_str());
    return 0;
  }
  const auto opt_ms = [](const json::value& v) {
    return v.is_int64() ? iso_utc(v.get_int64()) : std::string("never");
  };
  std::printf("%-24s %-32s %10s %10s %10s %8s %12s  %s\n", "GATEWAY", "STREAM", "RECORDS", "DUPLICATES", "HIGHEST",
              "GAPS", "TIME_UNKNOWN", "LAST BATCH");
  for (const auto& v : streams) {
    const auto& s = v.as_object();
    std::printf("%-24s %-32s %10lld %10lld %10lld %8lld %12lld  %s\n", shown(s.at("gateway").as_string()).c_str(),
                shown(s.at("stream").as_string()).c_str(), static_cast<long long>(s.at("records").as_int64()),
                static_cast<long long>(s.at("duplicates").as_int64()),
                static_cast<long long>(s.at("highest_seq").as_int64()), static_cast<long long>(s.at("gaps").as_int64()),
                static_cast<long long>(s.at("time_unknown").as_int64()), opt_ms(s.at("last_batch_ms")).c_str());
  }
  std::printf("\n");
  for (const auto& v : gateway_list) {
    const auto& g = v.as_object();
    std::string requests;
    for (const auto& [outcome, n] : g.at("requests").as_object()) {
      requests += fmt::format(" {}={}", shown(outcome), n.as_int64());
    }
    std::printf("%s: last heartbeat %s; requests:%s\n", shown(g.at("gateway").as_string()).c_str(),
                opt_ms(g.at("last_heartbeat_ms")).c_str(), requests.empty() ? " none" : requests.c_str());
    if (const auto conflicts = g.at("conflicts").to_number<std::int64_t>(); conflicts > 0) {
      std::printf("%s: ALARM: %lld batches refused (409): records already stored with other content\n",
                  g.at("gateway").as_string().c_str(), static_cast<long long>(conflicts));
    }
  }
  return 0;
}

}  // namespace ravao::receiver
