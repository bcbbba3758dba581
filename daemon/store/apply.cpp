// The write path: scans become records and visit changes, in one transaction
// per batch (group commit). What a scan does is decided by the visit rules
// (store/visit_rules.hpp, docs/architecture.md "Visits"); the writer
// (store/writer.hpp) gathers the state they need and carries out their
// effects. A person is matched by the keyed hash of their ID number
// (person_key) under each live hash key (store/hash_keys.cpp).

#include <fmt/format.h>

#include "store/writer.hpp"

namespace ravao {
using namespace store_detail;

result<std::vector<scan_outcome>> store_writer::apply(std::span<const scan_request> scans,
                                               std::span<const rejection_request> rejections,
                                               const visits_config& settings) {
  auto& s = *impl_;
  // A new local day resets the day's visit count.
  if (!scans.empty()) {
    const auto day = local_day(scans.front().at.wall_ms, s.utc_offset);
    if (day != s.totals.today) {
      s.totals.today = day;
      s.totals.visits_today = 0;
    }
    // A new day (or 24 h of uptime): a new hash key, in its own transaction.
    if (auto k = rotate_hash_key(s, scans.front().at); !k) return std::unexpected(k.error());
  }
  writer w(s, settings);
  auto tx = sql::transaction::begin_immediate(s.db);
  if (!tx) return std::unexpected(tx.error());
  std::vector<scan_outcome> outcomes;
  outcomes.reserve(scans.size());
  for (const auto& r : rejections) {
    if (auto x = w.reject(r); !x) return std::unexpected(x.error());
  }
  for (const auto& r : scans) {
    auto o = w.apply(r);
    if (!o) return std::unexpected(o.error());
    outcomes.push_back(*o);
  }
  if (auto c = tx->commit(); !c) return std::unexpected(c.error());
  commit_effects(s, w.effects());
  // Forget scans that left the window long ago; the map stays small.
  if (s.recent.size() > 4096 && !scans.empty()) {
    const auto now_ns = scans.back().at.boottime_ns;
    const auto window_ns = static_cast<std::int64_t>(settings.duplicate_window.count()) * 1'000'000;
    std::erase_if(s.recent, [&](const auto& kv) {
      return now_ns - kv.second.boottime_ns >= window_ns;
    });
  }
  return outcomes;
}

result<int> store_writer::close_expired(const timestamp& now, const visits_config& settings) {
  auto& s = *impl_;
  struct expired_visit {
    std::int64_t id;
    std::string counter;
    person_keys who;
    std::string reason;
    timestamp at;  // when the limit passed, where that is known; else now
  };
  std::vector<expired_visit> expired;
  // The most recent end of day, when the clock can be trusted to know it.
  std::optional<std::int64_t> last_eod_ms;
  if (settings.end_of_day && now.synced) {
    const std::int64_t offset_ms = s.utc_offset.count() * 60'000;
    const std::int64_t day_start = local_day(now.wall_ms, s.utc_offset) * 86'400'000 - offset_ms;
    std::int64_t eod = day_start + settings.end_of_day->count() * 60'000;
    if (eod > now.wall_ms) eod -= 86'400'000;
    last_eod_ms = eod;
  }
  const std::int64_t max_ms = static_cast<std::int64_t>(settings.max_duration.count()) * 1000;
  {
    auto& st = s.open_visits;
    while (true) {
      auto row = st.step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      const std::int64_t last_wall = st.int64(4);
      const bool same_boot = st.text(5) == boot_id();
      // Same boot: CLOCK_BOOTTIME is exact. Another boot: only the wall clock
      // relates the two; a wall clock that went backwards means we cannot
      // know, and the visit predates a reboot, so it is treated as expired.
      const std::int64_t elapsed = same_boot ? (now.boottime_ns - st.int64(6)) / 1'000'000
                                             : (now.wall_ms >= last_wall ? now.wall_ms - last_wall : max_ms);
      std::string reason;
      timestamp at = now;
      if (elapsed >= max_ms) {
        reason = "max_duration";
        if (same_boot) {
          // Stamped at the moment the limit passed, not when we noticed.
          at.boottime_ns = st.int64(6) + max_ms * 1'000'000;
          at.wall_ms = now.wall_ms - (now.boottime_ns - at.boottime_ns) / 1'000'000;
        }
      } else if (last_eod_ms && last_wall < *last_eod_ms) {
        reason = "end_of_day";
        at.wall_ms = *last_eod_ms;
        at.boottime_ns = now.boottime_ns - (now.wall_ms - *last_eod_ms) * 1'000'000;
      }
      if (!reason.empty())
        // An automatic close writes no hash: nothing matches it.
        expired.push_back({st.int64(0), st.text(1), person_keys{{}, st.text(3), st.text(7)}, reason, at});
    }
  }
  if (expired.empty()) return 0;
  writer w(s, settings);
  auto tx = sql::transaction::begin_immediate(s.db);
  if (!tx) return std::unexpected(tx.error());
  for (const auto& v : expired) {
    writer::record rec;
    rec.counter_id = v.counter;
    rec.who = &v.who;
    rec.close_reason = v.reason;
    if (auto x = w.close(v.id, rec, v.at); !x) return std::unexpected(x.error());
  }
  if (auto c = tx->commit(); !c) return std::unexpected(c.error());
  commit_effects(s, w.effects());
  return static_cast<int>(expired.size());
}

}  // namespace ravao

namespace ravao {

std::string_view to_string(scan_effect e) {
  switch (e) {
    case scan_effect::visit_opened: return "visit_opened";
    case scan_effect::visit_closed: return "visit_closed";
    case scan_effect::exit_without_entry: return "exit_without_entry";
    case scan_effect::rescan: return "rescan";
    case scan_effect::duplicate: return "duplicate";
    case scan_effect::event_recorded: return "event_recorded";
    case scan_effect::command_recorded: return "command_recorded";
    case scan_effect::slip_returned: return "slip_returned";
  }
  return "unknown";
}

}  // namespace ravao
