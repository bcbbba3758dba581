#include "receiver/trace_desk.hpp"

#include <pwd.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/clock.hpp"
#include "receiver/trace_audit.hpp"

namespace ravao::receiver {
namespace json = boost::json;

namespace {

void merge(json::object& into, const json::object& from) {
  for (const auto& [k, v] : from) into[k] = v;
}

}  // namespace

std::string current_unix_user() {
  if (const passwd* pw = ::getpwuid(::geteuid())) return pw->pw_name;
  return fmt::format("uid {}", ::geteuid());
}

result<seal::key_pair> read_secret_key(const std::optional<std::string>& path, std::string_view option) {
  if (!path)
    return fail(errc::invalid_argument,
                fmt::format("{} FILE is required: tracing opens sealed records with the provincial secret key "
                            "(ravao-receiver keygen), which only the tracing host holds",
                            option));
  std::ifstream in(*path);
  if (!in) return fail(errc::invalid_argument, fmt::format("{} {}: cannot read", option, *path));
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = seal::parse_key_pair(text.str());
  if (!parsed) return fail(errc::invalid_argument, fmt::format("{} {}: {}", option, *path, parsed.error().message()));
  return parsed;
}

json::object audit_entry_head(std::string_view action, const std::string& operator_name) {
  json::object e;
  e["at_ms"] = now().wall_ms;
  e["action"] = action;
  e["operator"] = operator_name;
  e["unix_user"] = current_unix_user();
  return e;
}

trace_desk::trace_desk(const seal::key_pair& keys, std::unique_ptr<trace_source> source,
                       std::unique_ptr<trace_index> index)
    : keys_(keys), derived_(trace_keys::derive(keys)), source_(std::move(source)), index_(std::move(index)) {}

result<std::unique_ptr<trace_desk>> trace_desk::open(const seal::key_pair& keys, const std::string& db,
                                                     const std::filesystem::path& trace_db) {
  auto source = open_trace_source(db);
  if (!source) return std::unexpected(source.error());
  auto index = trace_index::open(trace_db, trace_keys::derive(keys));
  if (!index) return std::unexpected(index.error());
  return std::unique_ptr<trace_desk>(new trace_desk(keys, std::move(*source), std::move(*index)));
}

result<index_stats> trace_desk::index_pass(const std::string& operator_name, const json::object& who) {
  auto stats = index_->index(*source_, keys_);
  if (!stats) return stats;
  if (stats->read == 0 && stats->retimed == 0) return stats;
  json::object e = audit_entry_head("index", operator_name);
  merge(e, who);
  e["records_read"] = stats->read;
  e["records_opened"] = stats->opened;
  e["store_ids"] = json::array{stats->first_id, stats->last_id};
  e["retimed"] = stats->retimed;
  if (auto ok = audit(e); !ok) return std::unexpected(ok.error());
  return stats;
}

result<trace_answer> trace_desk::trace(const trace_request& rq, const trace_purpose& why) {
  if (auto stats = index_pass(why.operator_name, why.who); !stats) return std::unexpected(stats.error());
  auto answer = run_trace(*index_, *source_, keys_, rq);
  if (!answer) return answer;

  json::object e = audit_entry_head("trace", why.operator_name);
  merge(e, why.who);
  e["case"] = why.case_ref;
  e["legal_basis"] = why.legal_basis;
  json::object query;
  // The ID number itself is not written to the log: its keyed hash is.
  if (!rq.slip) query["person"] = index_->person_of(rq.id_number);
  if (rq.slip) query["slip"] = *rq.slip;
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
  if (auto ok = audit(e); !ok) return fail(std::error_code(), "cannot write the audit log: " + ok.error().message());
  return answer;
}

result<void> trace_desk::audit(const json::object& entry) {
  auto head = audit_append(index_->handle(), derived_, entry);
  if (!head) return std::unexpected(head.error());
  return {};
}

}  // namespace ravao::receiver
