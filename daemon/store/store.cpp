#include "store/store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "common/clock.hpp"
#include "store/corrupt_copies.hpp"
#include "store/schema.hpp"
#include "store/store_connection.hpp"

namespace ravao {
namespace fs = std::filesystem;

store_connection::~store_connection() {
  // Statements must be finalized before the connection closes.
  ins_record = {}; ins_visit = {}; ins_exit_only = {}; find_open_here = {}; find_open_any = {};
  close_visit = {}; touch_visit = {}; dup_visit = {}; tally_dup = {}; tally_rej = {};
  ins_rejected = {}; open_visits = {};
  if (db) sqlite3_close_v2(db);
}

result<void> store_connection::prepare_write_statements() {
  const std::pair<sql::statement store_connection::*, std::string_view> statements[] = {
      {&store_connection::ins_record,
       "INSERT INTO records(seq,type,counter_id,visit_id,payload_kind,person_key,name_masked,id_masked,"
       "sealed,payload,ref,symbology,flags,close_reason,wall_ms,boot_id,boottime_ns,clock_synced,actor,action,"
       "printer_id) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21)"},
      {&store_connection::ins_visit,
       "INSERT INTO visits(person_key,name_masked,id_masked,counter_id,opened_seq,opened_wall_ms,opened_synced,"
       "last_wall_ms,last_boot_id,last_boottime_ns,key_id) VALUES(?1,?2,?3,?4,?5,?6,?7,?6,?8,?9,?10)"},
      {&store_connection::ins_exit_only,
       // Closed at once and never reopened (undo does not): no hash.
       "INSERT INTO visits(name_masked,id_masked,counter_id,last_wall_ms,last_boot_id,last_boottime_ns,"
       "closed_seq,closed_wall_ms,closed_counter_id,close_reason) "
       "VALUES(?2,?3,?4,?5,?6,?7,?8,?5,?4,'exit_without_entry')"},
      {&store_connection::find_open_here,
       "SELECT id FROM visits WHERE person_key=?1 AND closed_seq IS NULL AND counter_id=?2"},
      {&store_connection::find_open_any,
       "SELECT id FROM visits WHERE person_key=?1 AND closed_seq IS NULL ORDER BY id"},
      {&store_connection::close_visit,
       "UPDATE visits SET closed_seq=?2, closed_wall_ms=?3, closed_counter_id=?4, close_reason=?5 "
       "WHERE id=?1"},
      {&store_connection::touch_visit,
       "UPDATE visits SET rescans=rescans+1, last_wall_ms=?2, last_boot_id=?3, last_boottime_ns=?4 "
       "WHERE id=?1"},
      {&store_connection::dup_visit,
       "UPDATE visits SET duplicates=duplicates+1 WHERE id=?1"},
      {&store_connection::tally_dup,
       "INSERT INTO counter_tallies(counter_id,duplicates) VALUES(?1,1) "
       "ON CONFLICT(counter_id) DO UPDATE SET duplicates=duplicates+1"},
      {&store_connection::tally_rej,
       "INSERT INTO counter_tallies(counter_id,rejected) VALUES(?1,1) "
       "ON CONFLICT(counter_id) DO UPDATE SET rejected=rejected+1"},
      {&store_connection::ins_rejected,
       "INSERT INTO rejected_scans(counter_id,reason,length,preview,wall_ms,boot_id,boottime_ns) "
       "VALUES(?1,?2,?3,?4,?5,?6,?7)"},
      {&store_connection::open_visits,
       "SELECT id, counter_id, COALESCE(person_key,''), COALESCE(name_masked,''), last_wall_ms, last_boot_id, "
       "last_boottime_ns, COALESCE(id_masked,'') FROM visits WHERE closed_seq IS NULL"},
  };
  return sql::prepare_members(db, *this, statements);
}

namespace {

result<sqlite3*> open_connection(const fs::path& path, bool create) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    auto e = sql::make_error(db, rc, fmt::format("cannot open store {}", path.string()));
    sqlite3_close_v2(db);
    return std::unexpected(e);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 5000);
  return db;
}

// Whether a quick_check finding is a page it could not read ("Page 5:
// unable to get the page. error code=266") for a reason that is not the
// file's content: an I/O error, no memory, a lock. Such a file is not
// corrupt, and must not be moved aside.
bool unreadable_not_corrupt(std::string_view finding) {
  constexpr std::string_view marker = "error code=";
  const auto at = finding.find(marker);
  if (at == std::string_view::npos) return false;
  const int rc = std::atoi(std::string(finding.substr(at + marker.size())).c_str());
  switch (rc & 0xff) {
    case SQLITE_IOERR: case SQLITE_NOMEM: case SQLITE_BUSY: case SQLITE_LOCKED: case SQLITE_FULL:
    case SQLITE_CANTOPEN:
      return true;
    default:
      return false;
  }
}

// quick_check and a first read of the schema: a file that is not SQLite, a
// damaged page or a torn header all surface here. quick_check reports a page
// it cannot read as a finding (a row), not as an error: a read that fails
// for I/O reasons is store_unavailable, not store_corrupt.
result<void> check_integrity(sqlite3* db) {
  auto st = sql::statement::prepare(db, "PRAGMA quick_check");
  if (!st) return std::unexpected(st.error());
  std::vector<std::string> findings;
  while (true) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    findings.push_back(st->text(0));
  }
  if (findings.empty()) return fail(errc::store_corrupt, "quick_check returned nothing");
  if (findings.front() == "ok") return {};
  for (const auto& f : findings) {
    if (unreadable_not_corrupt(f)) return fail(errc::store_unavailable, "quick_check could not read the store: " + f);
  }
  return fail(errc::store_corrupt, "quick_check: " + findings.front());
}

result<void> configure(sqlite3* db) {
  // 1 KiB pages (only takes effect on a new, empty file; an older store is
  // converted after its migrations, schema::convert_page_size).
  if (auto r = sql::exec(db, fmt::format("PRAGMA page_size={}", schema::store_page_size)); !r) return r;
  // WAL + synchronous=FULL: the WAL is fsync'd at every commit, so an
  // acknowledged scan survives power loss.
  if (auto r = sql::exec(db, "PRAGMA journal_mode=WAL"); !r) return r;
  // secure_delete: deleted rows and dropped columns are overwritten with
  // zeros, not left in free space (docs/privacy.md).
  // wal_autocheckpoint=4000 pages: SQLite's default of 1000 is sized for
  // 4 KiB pages; 4000 keeps its 4 MiB WAL with 1 KiB pages. A checkpoint
  // rewrites every page the WAL holds, so fewer of them write the pages
  // that change at every scan (indexes, the open visits) fewer times.
  return sql::exec(db,
                   "PRAGMA synchronous=FULL; PRAGMA cache_size=-1024; PRAGMA secure_delete=ON; "
                   "PRAGMA wal_autocheckpoint=4000; PRAGMA temp_store=MEMORY");
}

}  // namespace

result<store_reader> store_reader::open(const fs::path& path, std::chrono::minutes utc_offset) {
  auto p = std::make_unique<store_connection>();
  p->path = path;
  p->utc_offset = utc_offset;
  auto db = open_connection(path, false);
  if (!db) return std::unexpected(db.error());
  p->db = *db;
  if (auto r = sql::exec(p->db, "PRAGMA query_only=1; PRAGMA cache_size=-512; PRAGMA secure_delete=ON"); !r)
    return std::unexpected(r.error());
  return store_reader(std::move(p));
}

result<store_writer> store_writer::open(const fs::path& path, std::chrono::minutes utc_offset) {
  store_options o;
  o.utc_offset = utc_offset;
  return open(path, o);
}

result<store_writer> store_writer::open(const fs::path& path, const store_options& options) {
  auto p = std::make_unique<store_connection>();
  p->path = path;
  p->utc_offset = options.utc_offset;
  p->province_key = options.province_key;
  if (options.province_key)
    p->sealer = options.sealer ? options.sealer : std::make_shared<seal::window_sealer>(*options.province_key);

  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return fail(errc::store_unavailable,
                fmt::format("cannot create store folder {}: {}", path.parent_path().string(), ec.message()));
  }
  if (fs::is_directory(path, ec)) {
    return fail(std::error_code{}, fmt::format("store path {} is a folder; [store] path must name a file", path.string()));
  }
  const bool existed = fs::exists(path, ec);
  if (!existed && ::access(path.parent_path().c_str(), W_OK) != 0) {
    return fail_errno(errno, fmt::format("cannot create the store in {} (the daemon's user needs write access "
                                         "to that folder)", path.parent_path().string()));
  }
  std::string recovered_from;

  auto db = open_connection(path, true);
  if (!db) return std::unexpected(db.error());
  p->db = *db;
  // Before WAL is switched on: SQLite gives -wal and -shm the main file's
  // mode, and they hold personal data too.
  ::chmod(path.c_str(), 0600);
  if (existed) {
    auto check = check_integrity(p->db);
    if (check) check = configure(p->db);
    if (!check && check.error().code == make_error_code(errc::store_corrupt)) {
      sqlite3_close_v2(p->db);
      p->db = nullptr;
      const std::string aside = corrupt_copy_path(path, now().wall_ms).string();
      for (const char* suffix : {"", "-wal", "-shm"}) {
        const fs::path from = path.string() + suffix;
        if (fs::exists(from, ec)) fs::rename(from, aside + suffix, ec);
        if (ec) {
          return fail(errc::store_corrupt,
                      fmt::format("store {} is corrupt ({}) and could not be moved aside: {}",
                                  path.string(), check.error().context, ec.message()));
        }
      }
      recovered_from = aside;
      p->recovered_now = true;
      auto fresh = open_connection(path, true);
      if (!fresh) return std::unexpected(fresh.error());
      p->db = *fresh;
      ::chmod(path.c_str(), 0600);
    } else if (!check) {
      return std::unexpected(check.error());
    }
  }
  if (auto r = configure(p->db); !r) return std::unexpected(r.error());
  if (auto r = schema::migrate(p->db, schema::migration_options{options.province_key}); !r)
    return std::unexpected(r.error());
  if (auto r = schema::convert_page_size(p->db, schema::store_page_size); !r) return std::unexpected(r.error());
  if (auto r = load_hash_keys(*p); !r) return std::unexpected(r.error());
  if (!recovered_from.empty()) {
    auto r = sql::exec(p->db, fmt::format(
        "INSERT OR REPLACE INTO meta(key,value) VALUES('recovered_from','{}'),('recovered_at_ms','{}')",
        recovered_from, now().wall_ms));
    if (!r) return std::unexpected(r.error());
  }
  if (auto r = p->prepare_write_statements(); !r) return std::unexpected(r.error());
  if (auto r = p->load_state(); !r) return std::unexpected(r.error());
  return store_writer(std::move(p));
}

store_reader::store_reader(std::unique_ptr<store_connection> s) : impl_(std::move(s)) {}
store_reader::store_reader(store_reader&&) noexcept = default;
store_reader& store_reader::operator=(store_reader&&) noexcept = default;
store_reader::~store_reader() = default;
store_writer::store_writer(std::unique_ptr<store_connection> s) : store_reader(std::move(s)) {}

const store_totals& store_writer::totals() const { return impl_->totals; }

bool store_writer::sealing() const { return impl_->province_key.has_value(); }

store_health store_reader::health() const {
  store_health h;
  h.recovered_now = impl_->recovered_now;
  // Best effort: what cannot be read stays at its default.
  if (auto v = sql::scalar(impl_->db, "SELECT user_version + 0 * ?1 FROM pragma_user_version"))
    h.schema_version = static_cast<int>(*v);
  if (auto st = sql::statement::prepare(impl_->db,
          "SELECT key, value FROM meta WHERE key IN ('recovered_from','recovered_at_ms')")) {
    while (true) {
      auto row = st->step();
      if (!row || !*row) break;
      const std::string k = st->text(0);
      if (k == "recovered_from") h.recovered_from = st->text(1);
      if (k == "recovered_at_ms") h.recovered_at_ms = std::strtoll(st->text(1).c_str(), nullptr, 10);
    }
  }
  struct stat sb {};
  if (::stat(impl_->path.c_str(), &sb) == 0) h.file_bytes = sb.st_size;
  return h;
}

}  // namespace ravao
