#include "receiver/trace_output.hpp"

#include <charconv>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/markup.hpp"
#include "common/text.hpp"
#include "receiver/report.hpp"

namespace ravao::receiver {
namespace json = boost::json;

namespace {

constexpr std::int64_t day_ms = 24LL * 3600 * 1000;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
}

bool number(std::string_view s, int& out) {
  if (s.empty()) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string joined(const std::vector<std::string>& flags, std::string_view sep) {
  std::string out;
  for (const auto& f : flags) out += (out.empty() ? "" : std::string(sep)) + f;
  return out;
}

std::string overlap_minutes(const traced_contact& c) {
  if (!c.overlap_from) return "?";
  return fmt::format("{}", std::max<std::int64_t>(0, (*c.overlap_to - *c.overlap_from) / 60'000));
}

json::value opt(std::optional<std::int64_t> v) { return v ? json::value(*v) : json::value(nullptr); }

json::object visit_json(const traced_visit& t, const trace_request& rq) {
  json::object o;
  o["gateway"] = t.v.gateway;
  o["counter"] = t.v.counter;
  o["stream"] = t.v.stream;
  o["visit"] = t.v.visit;
  o["in"] = t.start && t.v.in_ms ? json::value(local_time(t.v.in_ms, rq.utc_offset_minutes)) : nullptr;
  o["out"] = t.v.out_ms ? json::value(local_time(t.v.out_ms, rq.utc_offset_minutes)) : nullptr;
  o["in_ms"] = opt(t.v.in_ms);
  o["out_ms"] = opt(t.v.out_ms);
  o["in_time"] = name_of(t.v.in_time);
  o["out_time"] = name_of(t.v.out_time);
  o["close_reason"] = t.v.close_reason;
  json::array flags;
  for (const auto& f : t.flags) flags.emplace_back(f);
  o["flags"] = std::move(flags);
  o["name"] = t.name;
  o["id_number"] = t.id_number;
  o["phone"] = t.phone;
  if (!t.open_error.empty()) o["open_error"] = t.open_error;
  return o;
}

}  // namespace

std::string local_time(std::optional<std::int64_t> ms, int offset_minutes) {
  if (!ms) return "";
  const std::int64_t local = *ms + std::int64_t{offset_minutes} * 60'000;
  const std::int64_t days = local >= 0 ? local / day_ms : (local - day_ms + 1) / day_ms;
  const std::int64_t in_day = (local - days * day_ms) / 1000;
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", y, m, d, in_day / 3600, in_day / 60 % 60, in_day % 60);
}

result<int> parse_utc_offset(std::string_view text) {
  if (text == "Z" || text == "z") return 0;
  int h = 0, m = 0;
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':' || !number(text.substr(1, 2), h) ||
      !number(text.substr(4, 2), m) || h > 14 || m > 59)
    return fail(errc::invalid_argument, fmt::format("\"{}\": expected an offset such as +07:00", text));
  return (text[0] == '-' ? -1 : 1) * (h * 60 + m);
}

result<std::int64_t> parse_local_time(std::string_view text, int offset_minutes, bool end_of_day) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  const auto bad = [&] {
    return fail(errc::invalid_argument,
                fmt::format("\"{}\": expected a local date or time such as 2026-12-01 or 2026-12-01T14:05", text));
  };
  if (text.size() < 10 || text[4] != '-' || text[7] != '-' || !number(text.substr(0, 4), y) ||
      !number(text.substr(5, 2), mo) || !number(text.substr(8, 2), d) || mo < 1 || mo > 12 || d < 1 || d > 31)
    return bad();
  const bool date_only = text.size() == 10;
  if (!date_only) {
    if ((text[10] != 'T' && text[10] != ' ') || (text.size() != 16 && text.size() != 19) || text[13] != ':' ||
        !number(text.substr(11, 2), h) || !number(text.substr(14, 2), mi) || h > 23 || mi > 59)
      return bad();
    if (text.size() == 19 && (text[16] != ':' || !number(text.substr(17, 2), s) || s > 59)) return bad();
  }
  std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  if (date_only && end_of_day) ++days;
  return days * day_ms + ((h * 60 + mi) * 60 + s) * 1000LL - std::int64_t{offset_minutes} * 60'000;
}

std::string trace_table(const trace_answer& a, const trace_request& rq) {
  std::string out = fmt::format("case visits: {} (times are UTC{:+03}:{:02})\n", a.case_visits.size(),
                                rq.utc_offset_minutes / 60, std::abs(rq.utc_offset_minutes % 60));
  out += fmt::format("  {:>3} {:<20} {:<12} {:<19} {:<19} {}\n", "#", "site", "counter", "in", "out", "flags");
  for (std::size_t i = 0; i < a.case_visits.size(); ++i) {
    const auto& t = a.case_visits[i];
    out += fmt::format("  {:>3} {:<20} {:<12} {:<19} {:<19} {}\n", i + 1, shown(t.v.gateway), shown(t.v.counter),
                       t.v.in_ms ? local_time(t.v.in_ms, rq.utc_offset_minutes) : "-",
                       t.v.out_ms ? local_time(t.v.out_ms, rq.utc_offset_minutes) : "-", joined(t.flags, ","));
  }
  out += fmt::format("contacts: {} (margin {} min{})\n", a.contacts.size(), rq.margin_ms / 60'000,
                     rq.counter_only ? ", same counter only" : "");
  out += fmt::format("  {:>3} {:<12} {:<19} {:<19} {:>5} {:<24} {:<14} {:<12} {}\n", "of", "counter", "in", "out",
                     "min", "name", "id_number", "phone", "flags");
  for (const auto& c : a.contacts) {
    const auto& t = c.visit;
    out += fmt::format("  {:>3} {:<12} {:<19} {:<19} {:>5} {:<24} {:<14} {:<12} {}\n", c.case_visit + 1,
                       shown(t.v.counter), t.v.in_ms ? local_time(t.v.in_ms, rq.utc_offset_minutes) : "-",
                       t.v.out_ms ? local_time(t.v.out_ms, rq.utc_offset_minutes) : "-", overlap_minutes(c),
                       shown(t.name), shown(t.id_number), shown(t.phone), joined(t.flags, ","));
  }
  return out;
}

std::string trace_csv(const trace_answer& a, const trace_request& rq) {
  std::string out =
      "role,case_visit,site,counter,in,out,overlap_minutes,name,id_number,phone,flags,in_time,out_time,"
      "close_reason,stream,visit\r\n";
  const auto row = [&](std::string_view role, std::size_t case_visit, const traced_visit& t, std::string minutes) {
    const std::string cells[] = {std::string(role),
                                 fmt::format("{}", case_visit + 1),
                                 t.v.gateway,
                                 t.v.counter,
                                 local_time(t.v.in_ms, rq.utc_offset_minutes),
                                 local_time(t.v.out_ms, rq.utc_offset_minutes),
                                 std::move(minutes),
                                 t.name,
                                 t.id_number,
                                 t.phone,
                                 joined(t.flags, " "),
                                 std::string(name_of(t.v.in_time)),
                                 std::string(name_of(t.v.out_time)),
                                 t.v.close_reason,
                                 t.v.stream,
                                 fmt::format("{}", t.v.visit)};
    std::string line;
    for (const auto& c : cells) line += (line.empty() ? "" : ",") + csv_cell(c);
    out += line + "\r\n";
  };
  for (std::size_t i = 0; i < a.case_visits.size(); ++i) row("case", i, a.case_visits[i], "");
  for (const auto& c : a.contacts) row("contact", c.case_visit, c.visit, overlap_minutes(c));
  return out;
}

std::string trace_json(const trace_answer& a, const trace_request& rq) {
  json::object o;
  o["from_ms"] = rq.from_ms;
  o["to_ms"] = rq.to_ms;
  o["margin_ms"] = rq.margin_ms;
  o["counter_only"] = rq.counter_only;
  o["utc_offset_minutes"] = rq.utc_offset_minutes;
  json::array cases, contacts;
  for (const auto& t : a.case_visits) cases.push_back(visit_json(t, rq));
  for (const auto& c : a.contacts) {
    json::object v = visit_json(c.visit, rq);
    v["case_visit"] = c.case_visit + 1;
    v["overlap_from_ms"] = opt(c.overlap_from);
    v["overlap_to_ms"] = opt(c.overlap_to);
    contacts.push_back(std::move(v));
  }
  o["case_visits"] = std::move(cases);
  o["contacts"] = std::move(contacts);
  return text::json_for_terminal(json::serialize(o)) + "\n";
}

}  // namespace ravao::receiver
