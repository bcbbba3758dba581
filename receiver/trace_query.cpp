#include "receiver/trace_query.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace ravao::receiver {
namespace json = boost::json;

namespace {

constexpr std::int64_t day_ms = 24LL * 3600 * 1000;

std::int64_t local_day(std::int64_t ms, int offset_minutes) {
  const std::int64_t local = ms + std::int64_t{offset_minutes} * 60'000;
  return local >= 0 ? local / day_ms : (local - day_ms + 1) / day_ms;
}

// The effective span of a visit, and its flags. `lookback` bounds an open visit.
traced_visit place(const indexed_visit& v, const trace_request& rq, std::int64_t lookback) {
  traced_visit t{v, {}, {}, {}, {}, {}, {}, {}};
  const bool unknown = (v.in_record && !v.in_ms) || (v.out_record && !v.out_ms);
  if (unknown) t.flags.emplace_back("time_unknown");
  if (v.in_time == time_source::derived || v.out_time == time_source::derived) t.flags.emplace_back("time_derived");
  if (!v.in_record) t.flags.emplace_back("no_entry");
  if (v.close_reason == "undone") t.flags.emplace_back("undone");
  if (unknown) return t;
  t.start = v.in_ms ? v.in_ms : v.out_ms;
  if (v.out_ms) {
    t.end = v.out_ms;
  } else {
    t.flags.emplace_back("open");
    t.end = std::max(*t.start, std::min(rq.to_ms, *t.start + lookback));
  }
  if (local_day(*t.start, rq.utc_offset_minutes) != local_day(*t.end, rq.utc_offset_minutes))
    t.flags.emplace_back("crosses_midnight");
  return t;
}

bool in_period(const traced_visit& t, const trace_request& rq) {
  if (!t.start) return t.v.received_ms >= rq.from_ms;  // time unknown: it may have been then
  return *t.start < rq.to_ms && *t.end >= rq.from_ms;
}

std::string field(const json::object& o, std::string_view key) {
  const auto* f = o.if_contains(key);
  return f && f->is_string() ? std::string(f->get_string()) : std::string();
}

// Opens the record that names the visit's person (its opening, or its exit
// without entry) and notes it as opened.
std::optional<std::int64_t> person_record(const traced_visit& t) {
  return t.v.in_record ? t.v.in_record : t.v.out_record;
}

// `records`: every record the answer opens, read from the store at once.
void open_person(traced_visit& t, const std::map<std::int64_t, source_record>& records, seal::batch_opener& opener,
                 std::vector<opened_record>& opened) {
  const auto id = person_record(t);
  if (!id) return;
  const auto found = records.find(*id);
  if (found == records.end()) {
    t.open_error = "the record is no longer in the store";
    return;
  }
  const source_record& rec = found->second;
  boost::system::error_code ec;
  const json::value v = json::parse(rec.json, ec);
  const auto* sealed = !ec && v.is_object() ? v.as_object().if_contains("sealed") : nullptr;
  if (!sealed || !sealed->is_string()) return;
  opened.push_back({rec.gateway, rec.stream, rec.seq});
  auto box = seal::unbase64(sealed->get_string());
  auto plain = box ? opener.open(*box) : std::unexpected(box.error());
  if (!plain) {
    t.open_error = plain.error().message();
    return;
  }
  const json::value p = json::parse(*plain, ec);
  if (ec || !p.is_object()) return;
  t.name = field(p.as_object(), "name");
  t.id_number = field(p.as_object(), "id_number");
  if (t.id_number.empty()) t.id_number = field(p.as_object(), "old_id_number");
  t.phone = field(p.as_object(), "phone");
}

result<std::vector<indexed_visit>> case_visits_of(trace_index& index, const trace_request& rq,
                                                  std::set<std::string>& persons) {
  if (!rq.slip) {
    const std::string person = index.person_of(rq.id_number);
    if (person.empty()) return fail(errc::invalid_argument, "the ID number has no letters or digits");
    persons.insert(person);
    return index.visits_of_person(person);
  }
  auto slipped = index.visits_of_slip(*rq.slip, rq.gateway);
  if (!slipped) return slipped;
  std::set<std::string> gateways;
  for (const auto& v : *slipped) gateways.insert(v.gateway);
  if (gateways.size() > 1) {
    std::string names;
    for (const auto& g : gateways) names += (names.empty() ? "" : ", ") + g;
    return fail(errc::invalid_argument,
                fmt::format("slip {} was issued at {} gateways ({}): say which with --gateway", *rq.slip,
                            gateways.size(), names));
  }
  // A slip issued for a visit of a known person traces that person.
  std::vector<indexed_visit> all = *slipped;
  for (const auto& v : *slipped) {
    if (v.person.empty() || !persons.insert(v.person).second) continue;
    auto more = index.visits_of_person(v.person);
    if (!more) return more;
    for (auto& m : *more)
      if (std::none_of(all.begin(), all.end(), [&](const indexed_visit& a) { return a.row == m.row; }))
        all.push_back(std::move(m));
  }
  return all;
}

}  // namespace

result<trace_answer> run_trace(trace_index& index, trace_source& source, const seal::key_pair& keys,
                               const trace_request& rq) {
  const std::int64_t lookback = std::max(index.longest_visit_ms(), day_ms);
  std::set<std::string> persons;
  auto mine = case_visits_of(index, rq, persons);
  if (!mine) return std::unexpected(mine.error());
  trace_answer answer;
  std::set<std::int64_t> case_rows;
  for (const auto& v : *mine) {
    auto t = place(v, rq, lookback);
    if (!in_period(t, rq)) continue;
    case_rows.insert(v.row);
    answer.case_visits.push_back(std::move(t));
  }
  std::sort(answer.case_visits.begin(), answer.case_visits.end(), [](const auto& a, const auto& b) {
    return std::tie(a.start, a.v.gateway, a.v.row) < std::tie(b.start, b.v.gateway, b.v.row);
  });
  for (std::size_t i = 0; i < answer.case_visits.size(); ++i) {
    const traced_visit& c = answer.case_visits[i];
    // A case visit of unknown time has no span to overlap: its site is
    // listed, its contacts cannot be.
    if (!c.start) continue;
    const std::int64_t from = *c.start - rq.margin_ms, to = *c.end + rq.margin_ms;
    auto near = index.visits_near(c.v.gateway, from, to, lookback);
    if (!near) return std::unexpected(near.error());
    for (const auto& v : *near) {
      if (case_rows.contains(v.row) || (!v.person.empty() && persons.contains(v.person))) continue;
      if (rq.counter_only && v.counter != c.v.counter) continue;
      auto t = place(v, rq, lookback);
      traced_contact contact{i, std::move(t), {}, {}};
      const traced_visit& o = contact.visit;
      if (o.start) {
        if (*o.start > to || *o.end < from) continue;
        contact.overlap_from = std::max(*o.start, *c.start);
        contact.overlap_to = std::min(*o.end, *c.end);
      }
      answer.contacts.push_back(std::move(contact));
    }
  }
  std::stable_sort(answer.contacts.begin(), answer.contacts.end(), [](const auto& a, const auto& b) {
    return std::tie(a.case_visit, a.visit.start, a.visit.v.row) < std::tie(b.case_visit, b.visit.start, b.visit.v.row);
  });
  // Only now, and only these: the records of the visits in the answer.
  std::vector<std::int64_t> ids;
  for (const auto& t : answer.case_visits)
    if (const auto id = person_record(t)) ids.push_back(*id);
  for (const auto& c : answer.contacts)
    if (const auto id = person_record(c.visit)) ids.push_back(*id);
  auto records = source.records(ids);
  if (!records) return std::unexpected(records.error());
  seal::batch_opener opener(keys);
  std::map<std::int64_t, const traced_visit*> done;
  for (auto& t : answer.case_visits) open_person(t, *records, opener, answer.opened);
  for (auto& c : answer.contacts) {
    // A visitor in contact with two of the case's visits is opened once.
    if (const auto it = done.find(c.visit.v.row); it != done.end()) {
      c.visit.name = it->second->name, c.visit.id_number = it->second->id_number;
      c.visit.phone = it->second->phone, c.visit.open_error = it->second->open_error;
      continue;
    }
    open_person(c.visit, *records, opener, answer.opened);
    done[c.visit.v.row] = &c.visit;
  }
  return answer;
}

}  // namespace ravao::receiver
