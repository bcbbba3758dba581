// The store side of sync (docs/sync-protocol.md): upload batches in the
// protocol's record form, the acknowledged position and dead letters, the
// heartbeat's day counts, and device event records.
//
// The JSON of a batch is built as text directly (no DOM): the uploader reads
// up to 10,000 records per batch on a router, and this is the hot loop.

#include <fmt/format.h>

#include "common/text.hpp"
#include "store/writer.hpp"

namespace ravao {
using namespace store_detail;

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_escaped_valid(std::string& out, std::string_view s) {
  std::size_t run = 0;  // start of the pending run that needs no escape
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s, run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += hex_digits[c >> 4];
        out += hex_digits[c & 0xF];
    }
  }
  out.append(s, run, s.size() - run);
}

// A JSON string. Stored text is valid UTF-8; anything that is not becomes
// U+FFFD, so the receiver's parser never fails on our batch.
void append_string(std::string& out, std::string_view s) {
  out += '"';
  // Most fields are ASCII (ids, kinds, flags, times): no UTF-8 check needed.
  bool ascii = true;
  for (const char c : s) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) {
    append_escaped_valid(out, s);
    s = {};
  }
  while (!s.empty()) {
    const auto bad = text::first_invalid_utf8(s);
    if (!bad) {
      append_escaped_valid(out, s);
      break;
    }
    append_escaped_valid(out, s.substr(0, *bad));
    out += "\\ufffd";
    s.remove_prefix(*bad + 1);
  }
  out += '"';
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  out += ",\"";
  out += name;
  out += "\":";
  append_string(out, value);
}

void append_int(std::string& out, std::string_view name, std::int64_t v) {
  out += ",\"";
  out += name;
  out += "\":";
  out += fmt::format_int(v).str();
}

// One record in the protocol's form ("A record"): absent fields are left out.
void append_record(std::string& out, const sql::statement& st) {
  out += "{\"seq\":";
  out += fmt::format_int(st.int64(0)).str();
  append_field(out, "type", st.view(1));
  append_field(out, "counter", st.view(2));
  if (!st.is_null(3)) append_int(out, "visit", st.int64(3));
  append_field(out, "kind", st.view(4));
  append_field(out, "name_masked", st.view(5));
  append_field(out, "id_masked", st.view(6));
  if (const auto sealed = st.view(7); !sealed.empty()) {
    out += ",\"sealed\":\"";
    out += seal::base64(sealed);
    out += '"';
  }
  append_field(out, "payload", st.view(8));
  append_field(out, "symbology", st.view(9));
  if (const auto flags = st.view(10); !flags.empty()) {
    out += ",\"flags\":[";
    std::string_view rest = flags;
    bool first = true;
    while (true) {
      const auto comma = rest.find(',');
      if (!first) out += ',';
      append_string(out, rest.substr(0, comma));
      first = false;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    out += ']';
  }
  append_field(out, "close_reason", st.view(11));
  if (!st.is_null(12)) append_int(out, "ref", st.int64(12));
  append_int(out, "wall_ms", st.int64(13));
  append_field(out, "boot_id", st.view(14));
  append_int(out, "boottime_ns", st.int64(15));
  append_field(out, "actor", st.view(17));
  append_field(out, "action", st.view(18));
  append_field(out, "printer", st.view(19));
  out += st.int64(16) != 0 ? ",\"clock_synced\":true}" : ",\"clock_synced\":false}";
}

result<std::string> meta_value(sqlite3* db, std::string_view key) {
  auto st = sql::statement::prepare(db, "SELECT value FROM meta WHERE key=?1");
  if (!st) return std::unexpected(st.error());
  st->bind(1, key);
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  std::string v = *row ? st->text(0) : std::string();
  st->reset();
  return v;
}

}  // namespace

namespace {

constexpr std::string_view upload_columns =
    "SELECT r.seq, r.type, r.counter_id, r.visit_id, r.payload_kind, r.name_masked, r.id_masked, r.sealed, "
    "r.payload, r.symbology, r.flags, r.close_reason, r.ref, r.wall_ms, r.boot_id, r.boottime_ns, r.clock_synced, "
    "r.actor, r.action, r.printer_id FROM records r ";

// The rows of `st` (upload_columns, bound) as a batch: at most max_records
// (the statement's LIMIT), stopping before max_bytes.
result<upload_batch> read_batch(sql::statement& st, std::size_t max_records, std::size_t max_bytes) {
  upload_batch out;
  // One allocation for the batch: growing a MiB string by doubling copies it
  // and touches fresh pages several times over (page faults dominate then).
  out.records_json.reserve(std::min(max_bytes, max_records * 1024) + 2);
  out.records_json = "[";
  std::string one;
  one.reserve(4096);
  while (true) {
    auto row = st.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    one.clear();
    append_record(one, st);
    // +1: the comma before it or the closing bracket.
    if (!out.seqs.empty() && out.records_json.size() + one.size() + 1 > max_bytes) {
      st.reset();
      break;
    }
    if (!out.seqs.empty()) out.records_json += ',';
    out.records_json += one;
    out.seqs.push_back(st.int64(0));
  }
  out.records_json += ']';
  return out;
}

std::int64_t sql_limit(std::size_t n) { return static_cast<std::int64_t>(std::min<std::uint64_t>(n, INT64_MAX)); }

}  // namespace

result<upload_batch> store_reader::read_upload_batch(std::int64_t after_seq, std::size_t max_records,
                                              std::size_t max_bytes) const {
  if (max_records == 0) return upload_batch{{}, "[]"};
  auto st = sql::statement::prepare(impl_->db, fmt::format("{}WHERE seq > ?1 AND NOT EXISTS (SELECT 1 FROM "
                                                            "dead_letters d WHERE d.seq = r.seq) ORDER BY seq LIMIT ?2",
                                                            upload_columns));
  if (!st) return std::unexpected(st.error());
  st->bind(1, after_seq).bind(2, sql_limit(max_records));
  return read_batch(*st, max_records, max_bytes);
}

result<upload_batch> store_reader::read_held_batch(std::size_t max_records, std::size_t max_bytes) const {
  if (max_records == 0) return upload_batch{{}, "[]"};
  auto st = sql::statement::prepare(impl_->db, fmt::format("{}JOIN dead_letters d ON d.seq = r.seq WHERE "
                                                            "d.unknown_type IS NOT NULL ORDER BY r.seq LIMIT ?1",
                                                            upload_columns));
  if (!st) return std::unexpected(st.error());
  st->bind(1, sql_limit(max_records));
  return read_batch(*st, max_records, max_bytes);
}

result<void> store_writer::acknowledge(std::int64_t through_seq, std::span<const dead_letter> dead, const timestamp& at) {
  auto& s = *impl_;
  auto tx = sql::transaction::begin_immediate(s.db);
  if (!tx) return std::unexpected(tx.error());
  // Never past the last record written: retention trusts acked_seq.
  auto ack = sql::statement::prepare(s.db,
      "UPDATE meta SET value=CAST(MAX(CAST(value AS INTEGER), MIN(?1, (SELECT COALESCE(MAX(seq),0) FROM records))) "
      "AS TEXT) WHERE key='acked_seq'");
  if (!ack) return std::unexpected(ack.error());
  if (auto x = ack->bind(1, through_seq).run(); !x) return x;
  // The reason is decide_reply's "HTTP 422: " and the server's words;
  // docs/sync-protocol.md fixes "unknown record type" for a type it lacks.
  auto ins = sql::statement::prepare(s.db,
      "INSERT OR REPLACE INTO dead_letters(seq, reason, wall_ms, unknown_type) VALUES(?1, ?2, ?3, "
      "CASE WHEN ?2 LIKE 'HTTP 422: unknown record type%' THEN (SELECT type FROM records WHERE seq = ?1) END)");
  if (!ins) return std::unexpected(ins.error());
  for (const auto& d : dead) {
    if (auto x = ins->bind(1, d.seq).bind(2, d.reason).bind(3, at.wall_ms).run(); !x) return x;
  }
  return tx->commit();
}

result<void> store_writer::release_held(std::span<const std::int64_t> seqs) {
  auto& s = *impl_;
  auto tx = sql::transaction::begin_immediate(s.db);
  if (!tx) return std::unexpected(tx.error());
  auto del = sql::statement::prepare(s.db, "DELETE FROM dead_letters WHERE seq = ?1 AND unknown_type IS NOT NULL");
  if (!del) return std::unexpected(del.error());
  for (const auto seq : seqs)
    if (auto x = del->bind(1, seq).run(); !x) return x;
  return tx->commit();
}

result<ravao::sync_position> store_reader::sync_position() const {
  auto& s = *impl_;
  ravao::sync_position p;
  auto stream = meta_value(s.db, "stream");
  if (!stream) return std::unexpected(stream.error());
  p.stream = std::move(*stream);
  auto acked = meta_value(s.db, "acked_seq");
  if (!acked) return std::unexpected(acked.error());
  p.acked_seq = std::strtoll(acked->c_str(), nullptr, 10);
  auto last = sql::scalar(s.db, "SELECT COALESCE(MAX(seq), 0) + 0 * ?1 FROM records");
  if (!last) return std::unexpected(last.error());
  p.last_seq = *last;
  auto dead = sql::scalar(s.db, "SELECT COUNT(*) + 0 * ?1 FROM dead_letters");
  if (!dead) return std::unexpected(dead.error());
  p.dead_letters = *dead;
  auto dead_after = sql::scalar(s.db, "SELECT COUNT(*) FROM dead_letters WHERE seq > ?1", p.acked_seq);
  if (!dead_after) return std::unexpected(dead_after.error());
  // seq is gap-free and retention keeps everything after acked_seq: the
  // records after it are exactly acked_seq + 1 .. last_seq.
  p.depth = std::max<std::int64_t>(0, p.last_seq - p.acked_seq - *dead_after);
  auto oldest = sql::statement::prepare(s.db,
      "SELECT wall_ms FROM records r WHERE seq > ?1 AND NOT EXISTS "
      "(SELECT 1 FROM dead_letters d WHERE d.seq = r.seq) ORDER BY seq LIMIT 1");
  if (!oldest) return std::unexpected(oldest.error());
  oldest->bind(1, p.acked_seq);
  auto row = oldest->step();
  if (!row) return std::unexpected(row.error());
  if (*row) {
    p.oldest_unsent_wall_ms = oldest->int64(0);
    oldest->reset();
  }
  if (p.dead_letters == 0) return p;
  auto held = sql::statement::prepare(s.db,
      "SELECT unknown_type, COUNT(*) FROM dead_letters WHERE unknown_type IS NOT NULL GROUP BY unknown_type "
      "ORDER BY unknown_type");
  if (!held) return std::unexpected(held.error());
  while (true) {
    auto h = held->step();
    if (!h) return std::unexpected(h.error());
    if (!*h) break;
    p.held_types.push_back(held->text(0));
    p.held += held->int64(1);
  }
  return p;
}

result<std::vector<std::pair<dead_letter, std::int64_t>>> store_reader::dead_letters(int limit) const {
  auto st = sql::statement::prepare(impl_->db, "SELECT seq, reason, wall_ms FROM dead_letters ORDER BY seq LIMIT ?1");
  if (!st) return std::unexpected(st.error());
  st->bind(1, std::int64_t{limit});
  std::vector<std::pair<dead_letter, std::int64_t>> out;
  while (true) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.emplace_back(dead_letter{st->int64(0), st->text(1)}, st->int64(2));
  }
  return out;
}

result<std::vector<day_count>> store_reader::daily_counts(const timestamp& now, int days) const {
  auto& s = *impl_;
  if (days <= 0) return std::vector<day_count>{};
  const std::int64_t offset_ms = s.utc_offset.count() * 60'000;
  const std::int64_t today = local_day(now.wall_ms, s.utc_offset);
  const std::int64_t first = today - days + 1;
  std::vector<day_count> out;
  for (std::int64_t d = today; d >= first; --d)
    out.push_back(day_count{format_local(d * 86'400'000 - offset_ms, s.utc_offset).substr(0, 10), 0, 0, 0});
  // Scans: records a scan made (automatic and staff closes, slips issued,
  // declarations, undos and device events are not scans).
  auto st = sql::statement::prepare(s.db,
      "SELECT (wall_ms + ?3) / 86400000 AS day, "
      "SUM(type IN ('visit_opened','scan','command','slip_returned') OR "
      "    (type = 'visit_closed' AND close_reason IN ('scan','exit_without_entry'))), "
      "SUM(type = 'visit_opened' OR (type = 'visit_closed' AND close_reason = 'exit_without_entry')), "
      "SUM(type = 'slip_issued') "
      "FROM records WHERE wall_ms >= ?1 AND wall_ms < ?2 GROUP BY day");
  if (!st) return std::unexpected(st.error());
  st->bind(1, first * 86'400'000 - offset_ms).bind(2, (today + 1) * 86'400'000 - offset_ms).bind(3, offset_ms);
  while (true) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    const std::int64_t day = st->int64(0);
    if (day < first || day > today) continue;
    auto& c = out[static_cast<std::size_t>(today - day)];
    c.scans = st->int64(1);
    c.visits = st->int64(2);
    c.slips = st->int64(3);
  }
  return out;
}

result<std::int64_t> store_writer::log_device_event(std::string_view device_id, std::string_view event, const timestamp& at) {
  auto& s = *impl_;
  writer w(s, visits_config{});
  const std::int64_t seq = w.effects().next_seq;
  auto tx = sql::transaction::begin_immediate(s.db);
  if (!tx) return std::unexpected(tx.error());
  writer::record rec;
  rec.type = "device";
  rec.counter_id = device_id;
  rec.payload = event;
  if (auto x = w.insert_record(rec, at); !x) return std::unexpected(x.error());
  if (auto c = tx->commit(); !c) return std::unexpected(c.error());
  commit_effects(s, w.effects());
  return seq;
}

}  // namespace ravao
