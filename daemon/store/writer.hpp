#pragma once
// Private to the store: the write path's building blocks, shared by
// apply.cpp (scans, expiry) and slips.cpp (slips, print jobs, declarations).
// A writer stages in-memory effects (next record number, totals, the
// duplicate window) that are applied only once the transaction commits.

#include <algorithm>

#include <fmt/format.h>

#include "common/text.hpp"
#include "store/store_connection.hpp"
#include "store/visit_rules.hpp"

namespace ravao::store_detail {

inline std::string join_flags(const std::vector<std::string>& flags) {
  std::string out;
  for (const auto& f : flags) {
    if (!out.empty()) out += ',';
    out += f;
  }
  return out;
}

inline void add_flag(std::string& flags, std::string_view f) {
  if (!flags.empty()) flags += ',';
  flags += f;
}

// Set on a record that would have carried sealed personal data when the
// store has no provincial key: the data was not kept (docs/privacy.md).
inline constexpr std::string_view flag_personal_data_not_kept = "personal_data_not_kept";

// SQL condition on a record `r`: written by a visitor's scan at its counter
// (not an automatic or staff close, a staff command card, a slip or print
// job) and not undone since. What `undo` takes back, and what decides which
// visit a slip printed next belongs to (slips.cpp).
inline constexpr std::string_view visitor_scan_record =
    "r.type IN ('visit_opened','visit_closed','scan','slip_returned') AND "
    "COALESCE(r.close_reason,'') IN ('','scan','exit_without_entry') AND "
    "NOT EXISTS (SELECT 1 FROM records u WHERE u.type='undo' AND u.counter_id=r.counter_id AND u.ref=r.seq)";

// Everything a batch changes in memory, applied only after COMMIT succeeds.
struct batch_effects {
  store_totals totals;
  std::int64_t next_seq = 0;
  std::vector<std::pair<std::string, recent_scan>> recent;
};

class writer {
 public:
  writer(store_connection& s, const visits_config& settings)
      : s_(s), settings_(settings), fx_{s.totals, s.next_seq, {}} {}

  // One record as written: the clear columns and the sealed blob. Views must
  // outlive insert_record only.
  struct record {
    std::string_view type, counter_id;
    std::int64_t visit_id = 0;
    std::string_view payload_kind;
    const person_keys* who = nullptr;
    std::string_view sealed;   // sealed bytes (common/seal.hpp formats)
    std::string_view payload;  // clear text: only payloads that carry nothing personal
    std::optional<std::int64_t> ref;
    std::string_view symbology, flags, close_reason;
    std::string_view actor;  // who asked through the control socket; empty: nobody (a scan, the daemon)
    std::string_view action;      // `action` records: the control command (slip.reprint, card.print, ...)
    std::string_view printer_id;  // `action` records: the printer it went to
  };

  // One scan: gathers the visit state the rules need, lets
  // visit_rules::decide() say what happens, and carries that out.
  result<scan_outcome> apply(const scan_request& r) {
    // The person's hash under every live key (hash_keys.cpp): an open visit
    // or a recent scan may have been hashed with the key of yesterday. What
    // this scan writes is hashed with the current key (the first).
    std::vector<std::pair<std::int64_t, std::string>> hashes;
    if (r.payload.who) hashes = hashes_of(s_, r.payload.who->id_number);
    const std::string key = recent_key(r.counter_id, hashes.empty() ? std::string_view{} : hashes.front().second,
                                       r.payload.text);
    const visit_rules::scan_facts facts{r.mode, r.payload.who.has_value(), r.payload.kind,
                                        r.slip_sequence.has_value(), r.at.boottime_ns};
    auto state = gather(facts, key, hashes, r);
    if (!state) return std::unexpected(state.error());
    const visit_rules::decision d = visit_rules::decide(facts, *state, settings_.duplicate_window);
    scan_context c{r, {}, 0, {}, {}, join_flags(r.payload.flags)};
    if (d.outcome != scan_effect::duplicate) prepare(c, hashes);  // a duplicate writes no record
    for (const std::string_view f : d.flags) add_flag(c.flags, f);
    scan_outcome out{d.outcome, 0, 0, 0};
    for (const auto& e : d.effects)
      if (auto x = carry_out(e, c, out); !x) return std::unexpected(x.error());
    if (d.remember) fx_.recent.emplace_back(key, recent_scan{r.at.boottime_ns, out.visit_id});
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

  // Closes one open visit, writing its visit_closed record. `rec` carries
  // what the closing scan adds (kind, sealed data, flags); an automatic
  // close passes only the visit's person keys.
  result<std::int64_t> close(std::int64_t visit_id, record rec, const timestamp& at) {
    const std::int64_t seq = fx_.next_seq;
    rec.type = "visit_closed";
    rec.visit_id = visit_id;
    if (auto x = insert_record(rec, at); !x) return std::unexpected(x.error());
    auto x = s_.close_visit.bind(1, visit_id).bind(2, seq).bind(3, at.wall_ms)
                 .bind(4, rec.counter_id).bind(5, rec.close_reason).run();
    if (!x) return std::unexpected(x.error());
    --fx_.totals.open_visits;
    return seq;
  }

  batch_effects& effects() { return fx_; }

  result<void> insert_record(const record& r, const timestamp& at) {
    auto& st = s_.ins_record;
    st.bind(1, fx_.next_seq).bind(2, r.type).bind(3, r.counter_id);
    if (r.visit_id) st.bind(4, r.visit_id); else st.bind(4, std::nullopt);
    st.bind_text_or_null(5, r.payload_kind);
    if (r.who) {
      st.bind_text_or_null(6, r.who->key).bind_text_or_null(7, r.who->name_masked)
          .bind_text_or_null(8, r.who->id_masked);
    } else {
      st.bind(6, std::nullopt).bind(7, std::nullopt).bind(8, std::nullopt);
    }
    st.bind_blob_or_null(9, r.sealed).bind_text_or_null(10, r.payload).bind_opt(11, r.ref)
        .bind_text_or_null(12, r.symbology).bind_text_or_null(13, r.flags)
        .bind_text_or_null(14, r.close_reason).bind(15, at.wall_ms).bind(16, boot_id())
        .bind(17, at.boottime_ns).bind(18, std::int64_t{at.synced ? 1 : 0}).bind_text_or_null(19, r.actor)
        .bind_text_or_null(20, r.action).bind_text_or_null(21, r.printer_id);
    if (auto x = st.run(); !x) return x;
    fx_.totals.last_seq = fx_.next_seq++;
    return {};
  }

 private:
  // A scan being applied, with what every record of it shares.
  struct scan_context {
    const scan_request& r;
    person_keys who;
    std::int64_t key_id = 0;  // the hash key of who.key
    std::string own_seal;    // sealed here when the caller did not
    std::string_view sealed;
    std::string flags;
  };

  record scan_record(const scan_context& c, std::string_view type) const {
    record rec;
    rec.type = type;
    rec.counter_id = c.r.counter_id;
    rec.payload_kind = to_string(c.r.payload.kind);
    rec.who = c.r.payload.who ? &c.who : nullptr;
    rec.sealed = c.sealed;
    if (!carries_personal_data(c.r.payload)) rec.payload = c.r.payload.text;
    rec.symbology = c.r.symbology;
    rec.flags = c.flags;
    return rec;
  }

  // What the records of a scan share: the person's keys and masks, and one
  // sealed blob (sealed here when the caller did not).
  void prepare(scan_context& c, std::vector<std::pair<std::int64_t, std::string>>& hashes) {
    const scan_request& r = c.r;
    if (r.payload.who && !hashes.empty()) {  // apply() made a key current first
      c.key_id = hashes.front().first;
      c.who.key = std::move(hashes.front().second);
    }
    if (r.payload.who) {
      c.who.id_masked = text::mask_id(r.payload.who->id_number);
      c.who.name_masked = text::mask_name(r.payload.who->full_name);
    }
    c.sealed = r.sealed;
    if (c.sealed.empty() && s_.sealer && carries_personal_data(r.payload)) {
      c.own_seal = seal_person(r.payload, *s_.sealer);
      c.sealed = c.own_seal;
    }
    if (c.sealed.empty() && carries_personal_data(r.payload)) add_flag(c.flags, flag_personal_data_not_kept);
  }

  // The last effective scan with this key: newest first within this batch,
  // then what earlier batches committed.
  std::optional<recent_scan> last_scan(const std::string& key) const {
    for (auto it = fx_.recent.rbegin(); it != fx_.recent.rend(); ++it)
      if (it->first == key) return it->second;
    if (auto it = s_.recent.find(key); it != s_.recent.end()) return it->second;
    return std::nullopt;
  }

  // The newest of the person's last scans here under every live key.
  std::optional<recent_scan> last_scan(const std::string& key, const scan_request& r,
                                       const std::vector<std::pair<std::int64_t, std::string>>& hashes) const {
    std::optional<recent_scan> last = last_scan(key);
    for (std::size_t i = 1; i < hashes.size(); ++i) {
      const auto older = last_scan(recent_key(r.counter_id, hashes[i].second, r.payload.text));
      if (older && (!last || older->boottime_ns > last->boottime_ns)) last = older;
    }
    return last;
  }

  // The state decide() reads for this scan, and no more (visit_rules.hpp,
  // visit_state): a duplicate needs no query at all.
  result<visit_rules::visit_state> gather(const visit_rules::scan_facts& f, const std::string& key,
                                          const std::vector<std::pair<std::int64_t, std::string>>& hashes,
                                          const scan_request& r) {
    visit_rules::visit_state state;
    state.last_scan = last_scan(key, r, hashes);
    if (visit_rules::is_duplicate(state.last_scan, f.boottime_ns, settings_.duplicate_window)) return state;
    if (f.identified && f.mode == counter_mode::exit) {
      auto& st = s_.find_open_any;
      for (const auto& h : hashes) {
        st.bind(1, h.second);
        while (true) {
          auto row = st.step();
          if (!row) return std::unexpected(row.error());
          if (!*row) break;
          state.open_anywhere.push_back(st.int64(0));
        }
      }
      if (hashes.size() > 1) std::ranges::sort(state.open_anywhere);
    } else if (f.identified) {
      auto& st = s_.find_open_here;
      for (const auto& h : hashes) {
        auto row = st.bind(1, h.second).bind(2, r.counter_id).step();
        if (!row) return std::unexpected(row.error());
        const bool found = *row;
        if (found) state.open_here = st.int64(0);
        st.reset();
        if (found) break;
      }
    } else if (f.kind == payload_kind::ravao_slip && r.slip_sequence) {
      auto st = sql::statement::prepare(s_.db, "SELECT visit_id FROM slips WHERE sequence=?1");
      if (!st) return std::unexpected(st.error());
      auto row = st->bind(1, *r.slip_sequence).step();
      if (!row) return std::unexpected(row.error());
      if (*row) state.slip = visit_rules::issued_slip_ref{st->opt_int64(0).value_or(0)};
    }
    return state;
  }

  // One effect of decide(), in the batch's transaction; `out` gathers the
  // last record written and the visit it concerns.
  result<void> carry_out(const visit_rules::effect& e, const scan_context& c, scan_outcome& out) {
    using action = visit_rules::effect::action;
    const scan_request& r = c.r;
    switch (e.what) {
      case action::count_duplicate:
        if (e.visit_id) {
          if (auto x = s_.dup_visit.bind(1, e.visit_id).run(); !x) return x;
        }
        if (auto x = s_.tally_dup.bind(1, r.counter_id).run(); !x) return x;
        ++fx_.totals.duplicates;
        out.visit_id = e.visit_id;
        return {};
      case action::extend_visit:
        out.visit_id = e.visit_id;
        return s_.touch_visit.bind(1, e.visit_id).bind(2, r.at.wall_ms).bind(3, boot_id())
            .bind(4, r.at.boottime_ns).run();
      case action::close_visit: {
        record rec = scan_record(c, "visit_closed");
        rec.close_reason = e.close_reason;
        auto seq = close(e.visit_id, rec, r.at);
        if (!seq) return std::unexpected(seq.error());
        return wrote(out, *seq, e.visit_id);
      }
      case action::open_visit:
      case action::exit_without_entry: return open(e, c, out);
      case action::return_slip: {
        const std::int64_t seq = fx_.next_seq;
        record rec = scan_record(c, "slip_returned");
        rec.visit_id = e.visit_id;
        rec.ref = *r.slip_sequence;
        if (auto x = insert_record(rec, r.at); !x) return x;
        auto up = sql::statement::prepare(s_.db,
            "UPDATE slips SET returned_seq=COALESCE(returned_seq, ?2) WHERE sequence=?1");
        if (!up) return std::unexpected(up.error());
        if (auto x = up->bind(1, *r.slip_sequence).bind(2, seq).run(); !x) return x;
        return wrote(out, seq, e.visit_id);
      }
      case action::record_scan:
      case action::record_command: {
        const std::int64_t seq = fx_.next_seq;
        if (auto x = insert_record(scan_record(c, e.what == action::record_command ? "command" : "scan"), r.at); !x)
          return x;
        return wrote(out, seq, 0);
      }
    }
    return fail(errc::invalid_argument, "unknown visit effect");
  }

  static result<void> wrote(scan_outcome& out, std::int64_t seq, std::int64_t visit_id) {
    out.seq = seq;
    out.visit_id = visit_id;
    ++out.records;
    return {};
  }

  // A new visit: open (visit_opened), or an exit without entry, closed at
  // once (visit_closed, reason exit_without_entry).
  result<void> open(const visit_rules::effect& e, const scan_context& c, scan_outcome& out) {
    const scan_request& r = c.r;
    const bool opened = e.what == visit_rules::effect::action::open_visit;
    const std::int64_t seq = fx_.next_seq;
    result<void> x;
    if (opened) {
      x = s_.ins_visit.bind(1, c.who.key).bind_text_or_null(2, c.who.name_masked).bind(3, c.who.id_masked)
              .bind(4, r.counter_id).bind(5, seq).bind(6, r.at.wall_ms).bind(7, std::int64_t{r.at.synced ? 1 : 0})
              .bind(8, boot_id()).bind(9, r.at.boottime_ns).bind(10, c.key_id).run();
    } else {
      x = s_.ins_exit_only.bind(1, std::nullopt).bind_text_or_null(2, c.who.name_masked).bind(3, c.who.id_masked)
              .bind(4, r.counter_id).bind(5, r.at.wall_ms).bind(6, boot_id()).bind(7, r.at.boottime_ns)
              .bind(8, seq).run();
    }
    if (!x) return x;
    const std::int64_t visit_id = sqlite3_last_insert_rowid(s_.db);
    record rec = scan_record(c, opened ? "visit_opened" : "visit_closed");
    rec.visit_id = visit_id;
    rec.close_reason = e.close_reason;
    if (auto y = insert_record(rec, r.at); !y) return y;
    if (opened) ++fx_.totals.open_visits;
    if (local_day(r.at.wall_ms, s_.utc_offset) == fx_.totals.today) ++fx_.totals.visits_today;
    return wrote(out, seq, visit_id);
  }

  store_connection& s_;
  const visits_config& settings_;
  batch_effects fx_;
};

// Applies a batch's staged effects to the store's memory; call only once
// its transaction (sql::transaction) has committed.
inline void commit_effects(store_connection& s, batch_effects& fx) {
  s.totals = fx.totals;
  s.next_seq = fx.next_seq;
  for (auto& [key, scan] : fx.recent) s.recent[key] = scan;
}

}  // namespace ravao::store_detail
