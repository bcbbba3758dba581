// Paper slips, the print queue and proxy declarations (docs/slips.md).
// Slip sequence numbers come from meta.next_slip_sequence, advanced in the
// same transaction that records the slip: a number is never handed out twice,
// whatever happens after (a crash before COMMIT rolls the number back along
// with the slip, so nothing was printed with it either).

#include <fmt/format.h>

#include "common/text.hpp"
#include "store/writer.hpp"

namespace ravao {
using namespace store_detail;

namespace {

constexpr std::string_view job_columns =
    "id, printer_id, counter_id, kind, slip_sequence, content, state, attempts, last_error, created_wall_ms, "
    "done_wall_ms";

std::optional<job_state> parse_job_state(std::string_view s) {
  for (auto st : {job_state::queued, job_state::printing, job_state::printed, job_state::failed,
                  job_state::cancelled})
    if (to_string(st) == s) return st;
  return std::nullopt;
}

print_job_row read_job(const sql::statement& st) {
  print_job_row j;
  j.id = st.int64(0);
  j.printer_id = st.text(1);
  j.counter_id = st.text(2);
  j.kind = st.text(3);
  j.slip_sequence = st.opt_int64(4);
  j.content = st.text(5);
  j.state = parse_job_state(st.text(6)).value_or(job_state::failed);
  j.attempts = st.int64(7);
  j.last_error = st.text(8);
  j.created_wall_ms = st.int64(9);
  j.done_wall_ms = st.opt_int64(10);
  return j;
}

result<print_job_row> job_by_id(sqlite3* db, std::int64_t id) {
  auto st = sql::statement::prepare(db, fmt::format("SELECT {} FROM print_jobs WHERE id=?1", job_columns));
  if (!st) return std::unexpected(st.error());
  auto row = st->bind(1, id).step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(errc::not_found, fmt::format("no print job {}", id));
  auto j = read_job(*st);
  st->reset();
  return j;
}

result<std::int64_t> insert_job(sqlite3* db, std::string_view printer, std::string_view counter,
                                std::string_view kind, std::optional<std::int64_t> slip_sequence,
                                std::string_view content, std::int64_t wall_ms) {
  auto st = sql::statement::prepare(db,
      "INSERT INTO print_jobs(printer_id, counter_id, kind, slip_sequence, content, state, created_wall_ms) "
      "VALUES(?1, ?2, ?3, ?4, ?5, 'queued', ?6)");
  if (!st) return std::unexpected(st.error());
  st->bind(1, printer).bind(2, counter).bind(3, kind).bind_opt(4, slip_sequence).bind(5, content).bind(6, wall_ms);
  if (auto x = st->run(); !x) return std::unexpected(x.error());
  return sqlite3_last_insert_rowid(db);
}

// The visit the last visitor scan at `counter` opened or rescanned, within
// `window` of `at`, with its identity: what a slip or declaration made right
// after a scan belongs to. None when a later scan at that counter (another
// visitor's exit, an exit without entry, a slip handed back, an unknown code)
// came after it: the most recent open visit may then be an earlier visitor's,
// whose name must not go on the next visitor's slip (audit finding 11).
// Staff command cards (print slip, undo) are not visitor scans. Only this
// boot's visits qualify (their CLOCK_BOOTTIME compares with now).
struct recent_visit {
  std::int64_t id = 0;
  person_keys who;
};

result<std::optional<recent_visit>> visit_scanned_just_before(sqlite3* db, std::string_view counter,
                                                               const timestamp& at, std::chrono::seconds window) {
  auto st = sql::statement::prepare(db,
      "SELECT id, '', COALESCE(name_masked,''), last_boottime_ns, COALESCE(id_masked,''), "
      "COALESCE(opened_seq, 0) FROM visits "
      "WHERE counter_id=?1 AND closed_seq IS NULL AND last_boot_id=?2 ORDER BY last_boottime_ns DESC LIMIT 1");
  if (!st) return std::unexpected(st.error());
  auto row = st->bind(1, counter).bind(2, boot_id()).step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<recent_visit>{};
  const std::int64_t touched_ns = st->int64(3);
  const std::int64_t opened_seq = st->int64(5);
  recent_visit v{st->int64(0), person_keys{st->text(1), st->text(2), st->text(4)}};
  st->reset();
  const std::int64_t age_ns = at.boottime_ns - touched_ns;
  if (age_ns < 0 || age_ns > std::chrono::nanoseconds(window).count()) return std::optional<recent_visit>{};
  // A rescan writes no record but moves last_boottime_ns: a visitor scan
  // recorded after the visit's last scan means the visit's was not the last.
  auto later = sql::statement::prepare(db, fmt::format(
      "SELECT EXISTS(SELECT 1 FROM records r WHERE r.seq > ?1 AND r.counter_id=?2 AND r.boot_id=?3 "
      "AND r.boottime_ns > ?4 AND {})", visitor_scan_record));
  if (!later) return std::unexpected(later.error());
  auto found = later->bind(1, opened_seq).bind(2, counter).bind(3, boot_id()).bind(4, touched_ns).step();
  if (!found) return std::unexpected(found.error());
  const bool superseded = *found && later->int64(0) != 0;
  later->reset();
  if (superseded) return std::optional<recent_visit>{};
  return std::optional<recent_visit>{std::move(v)};
}

result<std::int64_t> read_next_slip_sequence(sqlite3* db) {
  auto st = sql::statement::prepare(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key='next_slip_sequence'");
  if (!st) return std::unexpected(st.error());
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  const std::int64_t v = *row ? st->int64(0) : 1;
  st->reset();
  return v < 1 ? 1 : v;
}

// A person's print-only action (docs/sync-protocol.md, "action"): one
// `action` record in the caller's transaction. Nothing personal: the
// command, the counter, the printer, for a reprint the slip.
result<void> insert_action(writer& w, std::string_view action, std::string_view counter, std::string_view printer,
                           std::string_view actor, const timestamp& at, std::optional<std::int64_t> slip = {},
                           std::string_view slip_number = {}) {
  writer::record rec;
  rec.type = "action";
  rec.counter_id = counter;
  rec.action = action;
  rec.printer_id = printer;
  rec.actor = actor;
  rec.ref = slip;
  rec.payload = slip_number;
  return w.insert_record(rec, at);
}

}  // namespace

std::string_view to_string(job_state s) {
  switch (s) {
    case job_state::queued: return "queued";
    case job_state::printing: return "printing";
    case job_state::printed: return "printed";
    case job_state::failed: return "failed";
    case job_state::cancelled: return "cancelled";
  }
  return "unknown";
}

result<issued_slip> store_writer::issue_slip(const slip_request& r) {
  auto& s = *impl_;
  slip::slip_content content = r.content;
  writer w(s, visits_config{});
  issued_slip out;
  auto tx = sql::transaction::begin_immediate(s.db);
  if (!tx) return std::unexpected(tx.error());
  auto seqno = read_next_slip_sequence(s.db);
  if (!seqno) return std::unexpected(seqno.error());
  out.sequence = *seqno;
  out.number = r.format_number ? r.format_number(out.sequence) : std::to_string(out.sequence);
  auto visit = visit_scanned_just_before(s.db, r.counter_id, r.at, r.link_window);
  if (!visit) return std::unexpected(visit.error());
  out.visit_id = *visit ? (*visit)->id : 0;
  out.seq = w.effects().next_seq;
  const std::string qr_text = "RAVAO:SLIP:" + out.number;  // the record holds views
  writer::record rec;
  rec.type = "slip_issued";
  rec.counter_id = r.counter_id;
  rec.visit_id = out.visit_id;
  rec.payload_kind = "ravao_slip";
  rec.payload = qr_text;
  rec.ref = out.sequence;
  rec.actor = r.actor;
  if (auto x = w.insert_record(rec, r.at); !x) return std::unexpected(x.error());
  auto ins = sql::statement::prepare(s.db,
      "INSERT INTO slips(sequence, counter_id, visit_id, issued_seq, issued_wall_ms) VALUES(?1, ?2, ?3, ?4, ?5)");
  if (!ins) return std::unexpected(ins.error());
  ins->bind(1, out.sequence).bind(2, r.counter_id)
      .bind_opt(3, out.visit_id ? std::optional(out.visit_id) : std::nullopt).bind(4, out.seq).bind(5, r.at.wall_ms);
  if (auto x = ins->run(); !x) return std::unexpected(x.error());
  auto next = sql::statement::prepare(s.db, "UPDATE meta SET value=?1 WHERE key='next_slip_sequence'");
  if (!next) return std::unexpected(next.error());
  if (auto x = next->bind(1, std::to_string(out.sequence + 1)).run(); !x) return std::unexpected(x.error());
  content.slip_number = out.number;
  if (r.preprint_identity && *visit) {
    // The masked forms: the gateway keeps nothing more (docs/privacy.md).
    if (!(*visit)->who.name_masked.empty()) content.person_name = (*visit)->who.name_masked;
    content.person_id_masked = (*visit)->who.id_masked;
  }
  auto job = insert_job(s.db, r.printer_id, r.counter_id, "slip", out.sequence, slip::encode(content),
                        r.at.wall_ms);
  if (!job) return std::unexpected(job.error());
  auto row = job_by_id(s.db, *job);
  if (!row) return std::unexpected(row.error());
  out.job = std::move(*row);
  if (auto c = tx->commit(); !c) return std::unexpected(c.error());
  commit_effects(s, w.effects());
  return out;
}

result<print_job_row> store_writer::add_job(const job_request& r, const person_action& by) {
  auto& s = *impl_;
  writer w(s, visits_config{});
  auto tx = sql::transaction::begin_immediate(s.db);
  if (!tx) return std::unexpected(tx.error());
  auto id = insert_job(s.db, r.printer_id, r.counter_id, slip::kind_of(r.content), std::nullopt,
                       slip::encode(r.content), r.at.wall_ms);
  if (!id) return std::unexpected(id.error());
  if (!by.action.empty())
    if (auto x = insert_action(w, by.action, r.counter_id, r.printer_id, by.actor, r.at); !x)
      return std::unexpected(x.error());
  auto job = job_by_id(s.db, *id);
  if (!job) return job;
  if (auto c = tx->commit(); !c) return std::unexpected(c.error());
  commit_effects(s, w.effects());
  return job;
}

result<print_job_row> store_writer::reprint_slip(std::int64_t sequence, const std::string& printer_id,
                                                 const timestamp& at, std::string_view actor, std::string_view number) {
  auto& s = *impl_;
  writer w(s, visits_config{});
  auto tx = sql::transaction::begin_immediate(s.db);
  if (!tx) return std::unexpected(tx.error());
  auto st = sql::statement::prepare(s.db,
      "SELECT counter_id, content FROM print_jobs WHERE slip_sequence=?1 ORDER BY id LIMIT 1");
  if (!st) return std::unexpected(st.error());
  auto row = st->bind(1, sequence).step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(errc::not_found, fmt::format("no slip with sequence {} was issued here", sequence));
  const std::string counter = st->text(0);
  auto content = slip::decode("slip", st->text(1));
  st->reset();
  if (!content)
    return fail(errc::store_corrupt, fmt::format("slip {}: stored content: {}", sequence, content.error().message()));
  std::get<slip::slip_content>(*content).reprint = true;
  auto id = insert_job(s.db, printer_id.empty() ? std::string_view{} : printer_id, counter, "slip", sequence,
                       slip::encode(*content), at.wall_ms);
  if (!id) return std::unexpected(id.error());
  if (!actor.empty())
    if (auto x = insert_action(w, "slip.reprint", counter, printer_id, actor, at, sequence, number); !x)
      return std::unexpected(x.error());
  auto job = job_by_id(s.db, *id);
  if (!job) return job;
  if (auto c = tx->commit(); !c) return std::unexpected(c.error());
  commit_effects(s, w.effects());
  return job;
}

result<void> store_writer::set_job_state(std::int64_t job_id, job_state to, std::string_view error, const timestamp& at) {
  auto& s = *impl_;
  auto st = sql::statement::prepare(s.db,
      "UPDATE print_jobs SET state=?2, attempts=attempts + (?2 = 'printing'), last_error=?3, "
      "done_wall_ms=CASE WHEN ?2 IN ('printed','failed','cancelled') THEN ?4 ELSE NULL END WHERE id=?1");
  if (!st) return std::unexpected(st.error());
  return st->bind(1, job_id).bind(2, to_string(to)).bind_text_or_null(3, error).bind(4, at.wall_ms).run();
}

result<int> store_writer::requeue_interrupted_jobs() {
  auto& s = *impl_;
  if (auto x = sql::exec(s.db, "UPDATE print_jobs SET state='queued' WHERE state='printing'"); !x)
    return std::unexpected(x.error());
  return sqlite3_changes(s.db);
}

result<declared> store_writer::declare(const declaration_request& r) {
  auto& s = *impl_;
  writer w(s, visits_config{});
  declared out;
  auto tx = sql::transaction::begin_immediate(s.db);
  if (!tx) return std::unexpected(tx.error());
  if (r.slip_sequence) {
    auto st = sql::statement::prepare(s.db, "SELECT visit_id FROM slips WHERE sequence=?1");
    if (!st) return std::unexpected(st.error());
    auto row = st->bind(1, *r.slip_sequence).step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return fail(errc::not_found, fmt::format("slip {} was not issued here", r.slip_number));
    out.visit_id = st->opt_int64(0).value_or(0);
    st->reset();
  } else {
    auto visit = visit_scanned_just_before(s.db, r.counter_id, r.at, r.link_window);
    if (!visit) return std::unexpected(visit.error());
    if (!*visit)
      return fail(errc::not_found,
                  fmt::format("no visitor was scanned at counter {} in the last {} s: give --slip, or scan the "
                              "visitor's card first",
                              r.counter_id, r.link_window.count()));
    out.visit_id = (*visit)->id;
  }
  out.seq = w.effects().next_seq;
  // The declared identity and answers are sealed; the record keeps the
  // masks in clear, like a scan, and no hash (nothing matches a declaration).
  const person_keys who = masks_of(r.person_id, r.person_name);
  std::string sealed;
  std::string flags = "proxy_declared";
  if (s.sealer) sealed = s.sealer->seal(declaration_plaintext(r.person_id, r.person_name, r.declaration_json));
  else add_flag(flags, flag_personal_data_not_kept);
  writer::record rec;
  rec.type = "declaration";
  rec.counter_id = r.counter_id;
  rec.visit_id = out.visit_id;
  rec.payload_kind = "declaration";
  rec.who = &who;
  rec.sealed = sealed;
  rec.payload = r.slip_number;
  rec.ref = r.slip_sequence;
  rec.flags = flags;
  rec.actor = r.actor;
  if (auto x = w.insert_record(rec, r.at); !x) return std::unexpected(x.error());
  if (r.slip_sequence) {
    auto up = sql::statement::prepare(s.db, "UPDATE slips SET declared_seq=?2 WHERE sequence=?1");
    if (!up) return std::unexpected(up.error());
    if (auto x = up->bind(1, *r.slip_sequence).bind(2, out.seq).run(); !x) return std::unexpected(x.error());
  }
  if (auto c = tx->commit(); !c) return std::unexpected(c.error());
  commit_effects(s, w.effects());
  return out;
}

result<std::vector<print_job_row>> store_reader::jobs(const job_filter& f) const {
  auto& s = *impl_;
  auto st = sql::statement::prepare(s.db,
      fmt::format("SELECT {} FROM print_jobs WHERE (?1 = '' OR printer_id = ?1) AND "
                  "(?2 = 0 OR state IN ('queued','printing')) ORDER BY id {} LIMIT ?3",
                  job_columns, f.pending_only ? "ASC" : "DESC"));
  if (!st) return std::unexpected(st.error());
  st->bind(1, f.printer_id).bind(2, std::int64_t{f.pending_only ? 1 : 0}).bind(3, std::int64_t{f.limit});
  std::vector<print_job_row> out;
  while (true) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_job(*st));
  }
  return out;
}

result<std::int64_t> store_reader::next_slip_sequence() const { return read_next_slip_sequence(impl_->db); }

result<std::optional<slip_row>> store_reader::slip(std::int64_t sequence) const {
  auto& s = *impl_;
  auto st = sql::statement::prepare(s.db,
      "SELECT sequence, counter_id, visit_id, issued_seq, issued_wall_ms, returned_seq, declared_seq "
      "FROM slips WHERE sequence=?1");
  if (!st) return std::unexpected(st.error());
  auto row = st->bind(1, sequence).step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<slip_row>{};
  slip_row r{st->int64(0), st->text(1), st->opt_int64(2).value_or(0), st->int64(3), st->int64(4), st->opt_int64(5),
             st->opt_int64(6)};
  st->reset();
  return std::optional<slip_row>{std::move(r)};
}

}  // namespace ravao
