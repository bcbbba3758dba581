#include "receiver/trace_api.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "receiver/trace_output.hpp"

namespace ravao::receiver {
namespace json = boost::json;

namespace {

constexpr std::string_view known_members[] = {"case",           "legal_basis",  "id_number", "slip",
                                              "gateway",        "from",         "to",        "margin_minutes",
                                              "counter_only",   "utc_offset",   "requested_by"};

// A member as text: nullopt when absent; throws the 400's message when it
// is not a string, empty, or too long.
std::optional<std::string> text_member(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  if (!v) return std::nullopt;
  if (!v->is_string()) throw std::invalid_argument(fmt::format("\"{}\" must be a string", name));
  const auto& s = v->get_string();
  if (s.empty()) throw std::invalid_argument(fmt::format("\"{}\" must not be empty", name));
  if (s.size() > max_api_text) throw std::invalid_argument(fmt::format("\"{}\" is longer than {} bytes", name, max_api_text));
  return std::string(s);
}

std::string required_text(const json::object& o, std::string_view name) {
  auto v = text_member(o, name);
  if (!v) throw std::invalid_argument(fmt::format("\"{}\" is required", name));
  return *v;
}

std::optional<std::int64_t> integer_member(const json::object& o, std::string_view name, std::int64_t min,
                                           std::int64_t max) {
  const auto* v = o.if_contains(name);
  if (!v) return std::nullopt;
  if (!v->is_int64() && !v->is_uint64())
    throw std::invalid_argument(fmt::format("\"{}\" must be a whole number", name));
  const bool in_range = v->is_int64() ? v->get_int64() >= min && v->get_int64() <= max
                                      : v->get_uint64() <= static_cast<std::uint64_t>(max);
  if (!in_range) throw std::invalid_argument(fmt::format("\"{}\" must be within {}..{}", name, min, max));
  return v->is_int64() ? v->get_int64() : static_cast<std::int64_t>(v->get_uint64());
}

api_request read(const json::object& o, std::int64_t now_ms) {
  for (const auto& [k, v] : o) {
    if (std::find(std::begin(known_members), std::end(known_members), std::string_view(k)) == std::end(known_members))
      throw std::invalid_argument(fmt::format("unknown member \"{}\"", std::string_view(k).substr(0, 64)));
  }
  api_request r;
  r.case_ref = required_text(o, "case");
  r.legal_basis = required_text(o, "legal_basis");
  r.requested_by = text_member(o, "requested_by");
  trace_request& q = r.query;
  const auto id = text_member(o, "id_number");
  q.slip = integer_member(o, "slip", 0, INT64_MAX);
  if (id.has_value() == q.slip.has_value()) throw std::invalid_argument("give either \"id_number\" or \"slip\"");
  if (id) q.id_number = *id;
  q.gateway = text_member(o, "gateway");
  auto offset = parse_utc_offset(text_member(o, "utc_offset").value_or("+07:00"));
  if (!offset) throw std::invalid_argument("\"utc_offset\": " + offset.error().message());
  q.utc_offset_minutes = *offset;
  auto from = parse_local_time(required_text(o, "from"), q.utc_offset_minutes, false);
  if (!from) throw std::invalid_argument("\"from\": " + from.error().message());
  q.from_ms = *from;
  q.to_ms = now_ms;
  if (auto to_text = text_member(o, "to")) {
    auto to = parse_local_time(*to_text, q.utc_offset_minutes, true);
    if (!to) throw std::invalid_argument("\"to\": " + to.error().message());
    q.to_ms = *to;
  }
  if (q.to_ms <= q.from_ms) throw std::invalid_argument("\"to\" must be after \"from\"");
  q.margin_ms = integer_member(o, "margin_minutes", 0, 24 * 60).value_or(15) * 60'000;
  if (const auto* c = o.if_contains("counter_only")) {
    if (!c->is_bool()) throw std::invalid_argument("\"counter_only\" must be true or false");
    q.counter_only = c->get_bool();
  }
  return r;
}

}  // namespace

parsed_api_request parse_api_request(std::string_view body, std::int64_t now_ms) {
  parsed_api_request out;
  boost::system::error_code ec;
  json::parse_options limits;
  limits.max_depth = 4;
  const json::value v = json::parse(body, ec, {}, limits);
  if (ec || !v.is_object()) {
    out.error = "the body must be a JSON object (docs/tracing.md, \"The HTTPS API\")";
    return out;
  }
  const auto& o = v.as_object();
  // Kept for the audit entry whatever else is wrong.
  for (auto [name, into] : {std::pair{"case", &out.case_ref}, std::pair{"legal_basis", &out.legal_basis}}) {
    if (const auto* f = o.if_contains(name); f && f->is_string()) *into = std::string(f->get_string().subview().substr(0, max_api_text));
  }
  try {
    out.request = read(o, now_ms);
  } catch (const std::invalid_argument& e) {
    out.error = e.what();
  }
  return out;
}

std::optional<answer_format> answer_format_of(std::string_view target, std::string_view accept) {
  if (const auto q = target.find('?'); q != std::string_view::npos) {
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      if (pair.starts_with("format=")) {
        const auto value = pair.substr(7);
        if (value == "csv") return answer_format::csv;
        if (value == "json") return answer_format::json;
        return std::nullopt;
      }
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
  }
  if (accept.find("text/csv") != std::string_view::npos) return answer_format::csv;
  return answer_format::json;
}

}  // namespace ravao::receiver
