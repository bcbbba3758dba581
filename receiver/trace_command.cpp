// ravao-receiver trace, index and audit (docs/tracing.md): contact tracing
// where the provincial secret key is, with every query in the audit log.

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "receiver/args.hpp"
#include "receiver/commands.hpp"
#include "receiver/report.hpp"
#include "receiver/trace_audit.hpp"
#include "receiver/trace_index.hpp"
#include "receiver/trace_output.hpp"
#include "receiver/trace_query.hpp"
#include "receiver/trace_source.hpp"
#include "common/text.hpp"

namespace ravao::receiver {
namespace json = boost::json;

namespace {

constexpr option_spec trace_specs[] = {{"db"},       {"key"},        {"trace-db"},       {"operator"},
                                       {"case"},     {"basis"},      {"id"},             {"slip"},
                                       {"gateway"},  {"from"},       {"to"},             {"margin-minutes"},
                                       {"counter-only", false},      {"format"},         {"utc-offset"}};
constexpr option_spec index_specs[] = {{"db"}, {"key"}, {"trace-db"}, {"operator"}};
constexpr option_spec audit_specs[] = {{"trace-db"}, {"key"}, {"verify", false}, {"json", false}};

constexpr const char* trace_help = R"(usage: ravao-receiver trace --db FILE --key FILE --trace-db FILE --operator NAME
                            --case REF --basis TEXT (--id NUMBER | --slip N [--gateway G])
                            --from TIME [--to TIME] [--margin-minutes M] [--counter-only]
                            [--format table|csv|json] [--utc-offset +07:00]

Contact tracing (docs/tracing.md): every visit of the case in the period,
then every visit at the same site that overlapped one of them, widened by
the margin. Indexes the records not indexed yet first (see index), then
opens only the records of the visits in the answer. The query, who asked,
the case and the legal basis, and the records opened go to the audit log.
Runs where the secret key is; the ingest server (serve) does not trace.

  --db FILE            the receiver's store (serve --db), read only
  --key FILE           the provincial secret key (keygen --out)
  --trace-db FILE      the trace file: index and audit log (created if missing)
  --operator NAME      who asks (recorded with the unix user)
  --case REF           the health department's case reference
  --basis TEXT         the legal basis of the request
  --id NUMBER          the case's ID number (CCCD, CMND, passport)
  --slip N             or a slip number: the visit it was issued for (and,
                       when that visit names a person, all of theirs)
  --gateway G          the gateway that issued the slip, when several did
  --from TIME          start of the period: 2026-12-01 or 2026-12-01T14:05 (local)
  --to TIME            end of the period (default: now); a date is inclusive
  --margin-minutes M   widen each case visit by M minutes each side (default 15)
  --counter-only       contacts at the case visit's counter only
  --format F           table (default), csv, json. Personal data.
  --utc-offset OFF     the local time of inputs and outputs (default +07:00)
)";

constexpr const char* index_help = R"(usage: ravao-receiver index --db FILE --key FILE --trace-db FILE [--operator NAME]

Indexes the records of the store not indexed yet into the trace file: opens
the sealed field of each visit opening (and exit without entry) once and
keeps a keyed hash of the ID number with the visit's site, counter and
times (docs/tracing.md). Fills in times that boot anchors made known since.
The pass is recorded in the audit log. trace runs it first anyway.
)";

constexpr const char* audit_help = R"(usage: ravao-receiver audit --trace-db FILE [--verify --key FILE] [--json]

Prints the trace file's audit log: every index pass and trace, who, when,
the case, the legal basis, and the records opened. --verify checks the
hash chain with the key (an entry changed, removed or inserted breaks it)
and prints the head (entries and last hash): keep a copy of it elsewhere,
to detect newest entries removed. Exit code 1 when the chain is broken.
)";

int failure(std::string_view command, const std::string& message) {
  std::fprintf(stderr, "ravao-receiver %.*s: %s\n", static_cast<int>(command.size()), command.data(),
               message.c_str());
  return 1;
}

result<seal::key_pair> read_key(const std::optional<std::string>& path) {
  if (!path)
    return fail(errc::invalid_argument,
                "--key FILE is required: tracing opens sealed records with the provincial secret key "
                "(ravao-receiver keygen), which only the tracing host holds");
  std::ifstream in(*path);
  if (!in) return fail(errc::invalid_argument, fmt::format("--key {}: cannot read", *path));
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = seal::parse_key_pair(text.str());
  if (!parsed) return fail(errc::invalid_argument, fmt::format("--key {}: {}", *path, parsed.error().message()));
  return parsed;
}

std::string unix_user() {
  if (const passwd* pw = ::getpwuid(::geteuid())) return pw->pw_name;
  return fmt::format("uid {}", ::geteuid());
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json::object entry_head(std::string_view action, const std::string& op) {
  json::object e;
  e["at_ms"] = now_ms();
  e["action"] = action;
  e["operator"] = op;
  e["unix_user"] = unix_user();
  return e;
}

struct opened_stores {
  seal::key_pair keys;
  trace_keys derived;
  std::unique_ptr<trace_source> source;
  std::unique_ptr<trace_index> index;
};

result<opened_stores> open_stores(const options& opts) {
  auto keys = read_key(opts.get("key"));
  if (!keys) return std::unexpected(keys.error());
  opened_stores s{*keys, trace_keys::derive(*keys), nullptr, nullptr};
  auto source = open_sqlite_source(opts.required("db"));
  if (!source) return std::unexpected(source.error());
  s.source = std::move(*source);
  auto index = trace_index::open(opts.required("trace-db"), s.derived);
  if (!index) return std::unexpected(index.error());
  s.index = std::move(*index);
  return s;
}

// One index pass, recorded in the audit log.
result<index_stats> index_pass(opened_stores& s, const std::string& op) {
  auto stats = s.index->index(*s.source, s.keys);
  if (!stats) return stats;
  if (stats->read == 0 && stats->retimed == 0) return stats;
  json::object e = entry_head("index", op);
  e["records_read"] = stats->read;
  e["records_opened"] = stats->opened;
  e["store_ids"] = json::array{stats->first_id, stats->last_id};
  e["retimed"] = stats->retimed;
  if (auto ok = audit_append(s.index->handle(), s.derived, e); !ok) return std::unexpected(ok.error());
  return stats;
}

}  // namespace

int index_command(std::span<char*> args) {
  const options opts(index_specs, args);
  if (opts.help()) {
    std::fputs(index_help, stdout);
    return 0;
  }
  auto s = open_stores(opts);
  if (!s) return failure("index", s.error().message());
  auto stats = index_pass(*s, opts.get("operator").value_or(unix_user()));
  if (!stats) return failure("index", stats.error().message());
  std::printf("indexed %lld records (%lld sealed fields opened, %lld visits), %lld visits retimed\n",
              static_cast<long long>(stats->read), static_cast<long long>(stats->opened),
              static_cast<long long>(stats->visits), static_cast<long long>(stats->retimed));
  return 0;
}

int trace_command(std::span<char*> args) {
  const options opts(trace_specs, args);
  if (opts.help()) {
    std::fputs(trace_help, stdout);
    return 0;
  }
  const std::string op = opts.required("operator"), case_ref = opts.required("case"), basis = opts.required("basis");
  trace_request rq;
  const auto id = opts.get("id");
  const auto slip = opts.get("slip");
  if (id.has_value() == slip.has_value()) throw usage_error("give either --id or --slip");
  if (id) rq.id_number = *id;
  if (slip) rq.slip = parse_integer(*slip, "--slip", 0, INT64_MAX);
  rq.gateway = opts.get("gateway");
  const std::string format = opts.get("format").value_or("table");
  if (format != "table" && format != "csv" && format != "json")
    throw usage_error(fmt::format("--format {}: expected table, csv or json", format));
  auto offset = parse_utc_offset(opts.get("utc-offset").value_or("+07:00"));
  if (!offset) throw usage_error("--utc-offset " + offset.error().message());
  rq.utc_offset_minutes = *offset;
  auto from = parse_local_time(opts.required("from"), rq.utc_offset_minutes, false);
  if (!from) throw usage_error("--from " + from.error().message());
  rq.from_ms = *from;
  rq.to_ms = now_ms();
  if (auto to_text = opts.get("to")) {
    auto to = parse_local_time(*to_text, rq.utc_offset_minutes, true);
    if (!to) throw usage_error("--to " + to.error().message());
    rq.to_ms = *to;
  }
  if (rq.to_ms <= rq.from_ms) throw usage_error("--to must be after --from");
  rq.margin_ms = opts.integer("margin-minutes", 15, 0, 24 * 60) * 60'000;
  rq.counter_only = opts.flag("counter-only");

  auto s = open_stores(opts);
  if (!s) return failure("trace", s.error().message());
  if (auto stats = index_pass(*s, op); !stats) return failure("trace", stats.error().message());
  auto answer = run_trace(*s->index, *s->source, s->keys, rq);
  if (!answer) return failure("trace", answer.error().message());

  json::object e = entry_head("trace", op);
  e["case"] = case_ref;
  e["legal_basis"] = basis;
  json::object query;
  // The ID number itself is not written to the log: its keyed hash is.
  if (id) query["person"] = s->index->person_of(*id);
  if (slip) query["slip"] = *rq.slip;
  if (rq.gateway) query["gateway"] = *rq.gateway;
  query["from_ms"] = rq.from_ms;
  query["to_ms"] = rq.to_ms;
  query["margin_ms"] = rq.margin_ms;
  query["counter_only"] = rq.counter_only;
  e["query"] = std::move(query);
  e["case_visits"] = answer->case_visits.size();
  e["contacts"] = answer->contacts.size();
  json::array opened;
  for (const auto& o : answer->opened) opened.push_back(json::array{json::value(o.gateway), json::value(o.stream), o.seq});
  e["opened"] = std::move(opened);
  // Logged before the answer is shown: no answer without its entry.
  if (auto ok = audit_append(s->index->handle(), s->derived, e); !ok)
    return failure("trace", "cannot write the audit log: " + ok.error().message());

  const std::string out = format == "csv"    ? trace_csv(*answer, rq)
                          : format == "json" ? trace_json(*answer, rq)
                                             : trace_table(*answer, rq);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

int audit_command(std::span<char*> args) {
  const options opts(audit_specs, args);
  if (opts.help()) {
    std::fputs(audit_help, stdout);
    return 0;
  }
  const std::string path = opts.required("trace-db");
  auto index = trace_index::open_read_only(path);
  if (!index) return failure("audit", index.error().message());
  auto entries = audit_entries((*index)->handle());
  if (!entries) return failure("audit", entries.error().message());
  if (opts.flag("verify")) {
    auto keys = read_key(opts.get("key"));
    if (!keys) return failure("audit", keys.error().message());
    const auto check = audit_verify(*entries, trace_keys::derive(*keys));
    for (const auto& p : check.problems) std::printf("BROKEN: %s\n", p.c_str());
    std::printf("%s: %lld entries, head %s\n", check.problems.empty() ? "ok" : "broken",
                static_cast<long long>(check.head.count), check.head.hash.c_str());
    return check.problems.empty() ? 0 : 1;
  }
  if (opts.flag("json")) {
    json::array all;
    for (const auto& e : *entries) {
      boost::system::error_code ec;
      json::value v = json::parse(e.entry, ec);
      json::object o;
      o["id"] = e.id;
      o["entry"] = ec ? json::value(e.entry) : std::move(v);
      o["hash"] = e.hash;
      all.push_back(std::move(o));
    }
    std::printf("%s\n", text::json_for_terminal(json::serialize(all)).c_str());
    return 0;
  }
  for (const auto& e : *entries) {
    boost::system::error_code ec;
    const json::value v = json::parse(e.entry, ec);
    if (ec || !v.is_object()) {
      std::printf("%6lld (unreadable entry)\n", static_cast<long long>(e.id));
      continue;
    }
    const auto& o = v.as_object();
    const auto str = [&](std::string_view k) {
      const auto* f = o.if_contains(k);
      return !f ? std::string("-") : f->is_string() ? shown(f->get_string()) : text::json_for_terminal(json::serialize(*f));
    };
    const auto* at = o.if_contains("at_ms");
    std::string line = fmt::format("{:>6} {} {} operator={} unix_user={}", e.id,
                                   iso_utc(at && at->is_int64() ? std::optional(at->get_int64()) : std::nullopt),
                                   str("action"), str("operator"), str("unix_user"));
    if (str("action") == "trace") {
      line += fmt::format(" case={} basis={} query={} case_visits={} contacts={} opened={}", str("case"),
                          str("legal_basis"), str("query"), str("case_visits"), str("contacts"), str("opened"));
    } else {
      line += fmt::format(" records_read={} records_opened={} store_ids={}", str("records_read"),
                          str("records_opened"), str("store_ids"));
    }
    std::printf("%s\n", line.c_str());
  }
  return 0;
}

}  // namespace ravao::receiver
