// ravao-receiver trace, index and audit (docs/tracing.md): contact tracing
// where the provincial secret key is, with every query in the audit log.

#include <cstdio>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "receiver/args.hpp"
#include "receiver/commands.hpp"
#include "receiver/report.hpp"
#include "receiver/trace_audit.hpp"
#include "receiver/trace_desk.hpp"
#include "receiver/trace_output.hpp"
#include "common/clock.hpp"
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

constexpr const char* trace_help = R"(usage: ravao-receiver trace --db STORE --key FILE --trace-db FILE --operator NAME
                            --case REF --basis TEXT (--id NUMBER | --slip N [--gateway G])
                            --from TIME [--to TIME] [--margin-minutes M] [--counter-only]
                            [--format table|csv|json] [--utc-offset +07:00]

Contact tracing (docs/tracing.md): every visit of the case in the period,
then every visit at the same site that overlapped one of them, widened by
the margin. Indexes the records not indexed yet first (see index), then
opens only the records of the visits in the answer. The query, who asked,
the case and the legal basis, and the records opened go to the audit log.
Runs where the secret key is; the ingest server (serve) does not trace.

  --db STORE           the receiver's store (serve --db): a SQLite file or a
                       postgresql:// URL, read only
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

constexpr const char* index_help = R"(usage: ravao-receiver index --db STORE --key FILE --trace-db FILE [--operator NAME]

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

result<std::unique_ptr<trace_desk>> open_desk(const options& opts) {
  auto keys = read_secret_key(opts.get("key"));
  if (!keys) return std::unexpected(keys.error());
  return trace_desk::open(*keys, opts.required("db"), opts.required("trace-db"));
}

}  // namespace

int index_command(std::span<char*> args) {
  const options opts(index_specs, args);
  if (opts.help()) {
    std::fputs(index_help, stdout);
    return 0;
  }
  auto desk = open_desk(opts);
  if (!desk) return failure("index", desk.error().message());
  auto stats = (*desk)->index_pass(opts.get("operator").value_or(current_unix_user()));
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
  rq.to_ms = now().wall_ms;
  if (auto to_text = opts.get("to")) {
    auto to = parse_local_time(*to_text, rq.utc_offset_minutes, true);
    if (!to) throw usage_error("--to " + to.error().message());
    rq.to_ms = *to;
  }
  if (rq.to_ms <= rq.from_ms) throw usage_error("--to must be after --from");
  rq.margin_ms = opts.integer("margin-minutes", 15, 0, 24 * 60) * 60'000;
  rq.counter_only = opts.flag("counter-only");

  auto desk = open_desk(opts);
  if (!desk) return failure("trace", desk.error().message());
  auto answer = (*desk)->trace(rq, {.operator_name = op, .case_ref = case_ref, .legal_basis = basis, .who = {}});
  if (!answer) return failure("trace", answer.error().message());

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
    auto keys = read_secret_key(opts.get("key"));
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
    } else if (str("action") == "trace_refused") {
      line += fmt::format(" status={} reason={} case={} basis={}", str("status"), str("reason"), str("case"),
                          str("legal_basis"));
    } else {
      line += fmt::format(" records_read={} records_opened={} store_ids={}", str("records_read"),
                          str("records_opened"), str("store_ids"));
    }
    std::printf("%s\n", line.c_str());
  }
  return 0;
}

}  // namespace ravao::receiver
