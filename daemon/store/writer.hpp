#pragma once
// Private to the store: the write path's building blocks, shared by
// apply.cpp (scans, expiry) and slips.cpp (slips, print jobs, declarations).
// A writer stages in-memory effects (next record number, totals, the
// duplicate window) that are applied only once the transaction commits.

#include <boost/json.hpp>
#include <fmt/format.h>

#include "store/store_impl.hpp"

namespace ravao::store_detail {

inline std::string join_flags(const std::vector<std::string>& flags) {
  std::string out;
  for (const auto& f : flags) {
    if (!out.empty()) out += ',';
    out += f;
  }
  return out;
}

inline std::string date_text(const std::optional<civil_date>& d) {
  if (!d) return {};
  return fmt::format("{:04}-{:02}-{:02}", d->year, d->month, d->day);
}

inline std::string person_json(const person& p) {
  boost::json::object o;
  if (!p.old_id_number.empty()) o["old_id_number"] = p.old_id_number;
  if (p.birth_date) o["birth_date"] = date_text(p.birth_date);
  if (p.sex_ != sex::unknown) o["sex"] = std::string(to_string(p.sex_));
  if (!p.address.empty()) o["address"] = p.address;
  if (p.issue_date) o["issue_date"] = date_text(p.issue_date);
  return boost::json::serialize(o);
}

// Everything a batch changes in memory, applied only after COMMIT succeeds.
struct batch_effects {
  store_totals totals;
  std::int64_t next_seq = 0;
  std::vector<std::pair<std::string, recent_scan>> recent;
};

class writer {
 public:
  writer(store::impl& s, const visits_config& settings)
      : s_(s), settings_(settings), fx_{s.totals, s.next_seq, {}} {}

  result<scan_outcome> apply(const scan_request& r) {
    const std::string key = recent_key(r.counter_id, r.payload);
    if (auto dup = find_duplicate(key, r.at)) {
      if (dup->visit_id) {
        if (auto x = s_.dup_visit.bind(1, dup->visit_id).run(); !x) return std::unexpected(x.error());
      }
      if (auto x = s_.tally_dup.bind(1, r.counter_id).run(); !x) return std::unexpected(x.error());
      ++fx_.totals.duplicates;
      return scan_outcome{scan_effect::duplicate, 0, dup->visit_id, 0};
    }
    auto out = r.payload.who ? apply_identity(r) : apply_event(r);
    if (out) fx_.recent.emplace_back(key, recent_scan{r.at.boottime_ns, out->visit_id});
    return out;
  }

  result<void> reject(const rejection_request& r) {
    auto x = s_.ins_rejected.bind(1, r.counter_id).bind(2, r.reason)
                 .bind(3, static_cast<std::int64_t>(r.length)).bind(4, r.preview)
                 .bind(5, r.at.wall_ms).bind(6, boot_id()).bind(7, r.at.boottime_ns).run();
    if (!x) return x;
    if (x = s_.tally_rej.bind(1, r.counter_id).run(); !x) return x;
    ++fx_.totals.rejected;
    return {};
  }

  // Closes one open visit, writing its visit_closed record.
  // payload_kind is empty for automatic closes (no scan caused them).
  result<std::int64_t> close(std::int64_t visit_id, std::string_view closing_counter,
                             std::string_view person_id, std::string_view person_name,
                             std::string_view payload_kind, std::string_view reason,
                             const timestamp& at) {
    const std::int64_t seq = fx_.next_seq;
    record rec{"visit_closed", closing_counter, visit_id, payload_kind, person_id, person_name, "", "", "", "", reason, at};
    if (auto x = insert_record(rec); !x) return std::unexpected(x.error());
    auto x = s_.close_visit.bind(1, visit_id).bind(2, seq).bind(3, at.wall_ms)
                 .bind(4, closing_counter).bind(5, reason).run();
    if (!x) return std::unexpected(x.error());
    --fx_.totals.open_visits;
    return seq;
  }

  batch_effects& effects() { return fx_; }

  struct record {
    std::string_view type, counter_id;
    std::int64_t visit_id;
    std::string_view payload_kind, person_id, person_name, person_json, payload, symbology, flags,
        close_reason;
    const timestamp& at;
  };

  result<void> insert_record(const record& r) {
    auto& st = s_.ins_record;
    st.bind(1, fx_.next_seq).bind(2, r.type).bind(3, r.counter_id);
    if (r.visit_id) st.bind(4, r.visit_id); else st.bind(4, std::nullopt);
    st.bind_text_or_null(5, r.payload_kind).bind_text_or_null(6, r.person_id).bind_text_or_null(7, r.person_name)
        .bind_text_or_null(8, r.person_json).bind_text_or_null(9, r.payload)
        .bind_text_or_null(10, r.symbology).bind_text_or_null(11, r.flags)
        .bind_text_or_null(12, r.close_reason).bind(13, r.at.wall_ms).bind(14, boot_id())
        .bind(15, r.at.boottime_ns).bind(16, std::int64_t{r.at.synced ? 1 : 0});
    if (auto x = st.run(); !x) return x;
    fx_.totals.last_seq = fx_.next_seq++;
    return {};
  }

 private:
  std::optional<recent_scan> find_duplicate(const std::string& key, const timestamp& at) const {
    const auto window_ns = static_cast<std::int64_t>(settings_.duplicate_window.count()) * 1'000'000;
    if (window_ns <= 0) return std::nullopt;
    // Newest first within this batch, then what earlier batches committed.
    for (auto it = fx_.recent.rbegin(); it != fx_.recent.rend(); ++it) {
      if (it->first == key) {
        if (at.boottime_ns - it->second.boottime_ns < window_ns) return it->second;
        return std::nullopt;
      }
    }
    auto it = s_.recent.find(key);
    if (it == s_.recent.end()) return std::nullopt;
    if (at.boottime_ns - it->second.boottime_ns < window_ns) return it->second;
    return std::nullopt;
  }

  result<scan_outcome> apply_event(const scan_request& r) {
    std::string flags = join_flags(r.payload.flags);
    if (r.payload.kind == payload_kind::ravao_slip) {
      if (!r.slip_sequence) {
        flags += flags.empty() ? "bad_slip_check_digit" : ",bad_slip_check_digit";
      } else {
        auto returned = return_slip(r);
        if (!returned) return std::unexpected(returned.error());
        if (*returned) return **returned;
        flags += flags.empty() ? "unknown_slip" : ",unknown_slip";
      }
    }
    const bool command = r.payload.kind == payload_kind::ravao_command;
    record rec{command ? "command" : "scan", r.counter_id, 0, to_string(r.payload.kind), "", "", "",
               r.payload.text, r.symbology, flags, "", r.at};
    const std::int64_t seq = fx_.next_seq;
    if (auto x = insert_record(rec); !x) return std::unexpected(x.error());
    return scan_outcome{command ? scan_effect::command_recorded : scan_effect::event_recorded, seq, 0, 1};
  }

  // A slip we issued, handed back: a slip_returned record linked to the
  // slip's visit. nullopt when no slip has that sequence (recorded as a plain
  // scan, flagged, by the caller) .
  result<std::optional<scan_outcome>> return_slip(const scan_request& r) {
    sql::statement st(s_.db, "SELECT visit_id FROM slips WHERE sequence=?1");
    st.bind(1, *r.slip_sequence);
    auto row = st.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<scan_outcome>{};
    const std::int64_t visit_id = st.opt_int64(0).value_or(0);
    st.reset();
    const std::int64_t seq = fx_.next_seq;
    const std::string flags = join_flags(r.payload.flags);
    record rec{"slip_returned", r.counter_id, visit_id, to_string(r.payload.kind), "", "", "",
               r.payload.text, r.symbology, flags, "", r.at};
    if (auto x = insert_record(rec); !x) return std::unexpected(x.error());
    sql::statement up(s_.db, "UPDATE slips SET returned_seq=COALESCE(returned_seq, ?2) WHERE sequence=?1");
    if (auto x = up.bind(1, *r.slip_sequence).bind(2, seq).run(); !x) return std::unexpected(x.error());
    return std::optional<scan_outcome>{scan_outcome{scan_effect::slip_returned, seq, visit_id, 1}};
  }

  result<std::optional<std::int64_t>> open_visit_here(const std::string& person_id, const std::string& counter) {
    auto& st = s_.find_open_here;
    st.bind(1, person_id).bind(2, counter);
    auto row = st.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<std::int64_t>{};
    const std::int64_t id = st.int64(0);
    st.reset();
    return std::optional<std::int64_t>{id};
  }

  result<scan_outcome> open(const scan_request& r, const person& who) {
    const std::int64_t seq = fx_.next_seq;
    auto x = s_.ins_visit.bind(1, who.id_number).bind_text_or_null(2, who.full_name).bind(3, r.counter_id)
                 .bind(4, seq).bind(5, r.at.wall_ms).bind(6, std::int64_t{r.at.synced ? 1 : 0})
                 .bind(7, boot_id()).bind(8, r.at.boottime_ns).run();
    if (!x) return std::unexpected(x.error());
    const std::int64_t visit_id = sqlite3_last_insert_rowid(s_.db);
    const std::string flags = join_flags(r.payload.flags);
    const std::string pj = person_json(who);
    record rec{"visit_opened", r.counter_id, visit_id, to_string(r.payload.kind), who.id_number,
               who.full_name, pj, "", r.symbology, flags, "", r.at};
    if (auto y = insert_record(rec); !y) return std::unexpected(y.error());
    ++fx_.totals.open_visits;
    if (local_day(r.at.wall_ms, s_.utc_offset) == fx_.totals.today) ++fx_.totals.visits_today;
    return scan_outcome{scan_effect::visit_opened, seq, visit_id, 1};
  }

  result<scan_outcome> apply_identity(const scan_request& r) {
    const person& who = *r.payload.who;
    if (r.mode == counter_mode::exit) return close_all(r, who);
    auto here = open_visit_here(who.id_number, r.counter_id);
    if (!here) return std::unexpected(here.error());
    if (!*here) return open(r, who);
    if (r.mode == counter_mode::entry) {
      auto x = s_.touch_visit.bind(1, **here).bind(2, r.at.wall_ms).bind(3, boot_id())
                   .bind(4, r.at.boottime_ns).run();
      if (!x) return std::unexpected(x.error());
      return scan_outcome{scan_effect::rescan, 0, **here, 0};
    }
    auto seq = close(**here, r.counter_id, who.id_number, who.full_name, to_string(r.payload.kind), "scan", r.at);
    if (!seq) return std::unexpected(seq.error());
    return scan_outcome{scan_effect::visit_closed, *seq, **here, 1};
  }

  result<scan_outcome> close_all(const scan_request& r, const person& who) {
    std::vector<std::int64_t> open_ids;
    {
      auto& st = s_.find_open_any;
      st.bind(1, who.id_number);
      while (true) {
        auto row = st.step();
        if (!row) return std::unexpected(row.error());
        if (!*row) break;
        open_ids.push_back(st.int64(0));
      }
    }
    if (open_ids.empty()) {
      const std::int64_t seq = fx_.next_seq;
      auto x = s_.ins_exit_only.bind(1, who.id_number).bind_text_or_null(2, who.full_name)
                   .bind(3, r.counter_id).bind(4, r.at.wall_ms).bind(5, boot_id())
                   .bind(6, r.at.boottime_ns).bind(7, seq).run();
      if (!x) return std::unexpected(x.error());
      const std::int64_t visit_id = sqlite3_last_insert_rowid(s_.db);
      const std::string flags = join_flags(r.payload.flags);
      const std::string pj = person_json(who);
      record rec{"visit_closed", r.counter_id, visit_id, to_string(r.payload.kind), who.id_number,
                 who.full_name, pj, "", r.symbology, flags, "exit_without_entry", r.at};
      if (auto y = insert_record(rec); !y) return std::unexpected(y.error());
      if (local_day(r.at.wall_ms, s_.utc_offset) == fx_.totals.today) ++fx_.totals.visits_today;
      return scan_outcome{scan_effect::exit_without_entry, seq, visit_id, 1};
    }
    scan_outcome out{scan_effect::visit_closed, 0, 0, 0};
    for (const std::int64_t id : open_ids) {
      auto seq = close(id, r.counter_id, who.id_number, who.full_name, to_string(r.payload.kind), "scan", r.at);
      if (!seq) return std::unexpected(seq.error());
      out.seq = *seq;
      out.visit_id = id;
      ++out.records;
    }
    return out;
  }

  store::impl& s_;
  const visits_config& settings_;
  batch_effects fx_;
};

// Runs `body` inside BEGIN IMMEDIATE ... COMMIT; on any failure rolls back
// and leaves the in-memory state untouched.
template <class Body>
auto in_transaction(store::impl& s, Body&& body) -> decltype(body()) {
  if (auto r = sql::exec(s.db, "BEGIN IMMEDIATE"); !r) return std::unexpected(r.error());
  auto out = body();
  if (out) {
    if (auto r = sql::exec(s.db, "COMMIT"); !r) {
      (void)sql::exec(s.db, "ROLLBACK");
      return std::unexpected(r.error());
    }
  } else {
    (void)sql::exec(s.db, "ROLLBACK");
  }
  return out;
}

inline void commit_effects(store::impl& s, batch_effects& fx) {
  s.totals = fx.totals;
  s.next_seq = fx.next_seq;
  for (auto& [key, scan] : fx.recent) s.recent[key] = scan;
}

}  // namespace ravao::store_detail
