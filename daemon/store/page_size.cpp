// A store made before 1 KiB pages is rebuilt once, at open, with them
// (store/schema.hpp, docs/architecture.md "The store file").

#include <chrono>
#include <string>

#include "common/log.hpp"
#include "common/sqlite.hpp"
#include "store/schema.hpp"

namespace ravao::schema {
namespace {

// The journal mode a `PRAGMA journal_mode=...` left: it stays as it was
// (and says so) when the change is not possible now.
result<std::string> set_journal_mode(sqlite3* db, std::string_view mode) {
  auto st = sql::statement::prepare(db, std::string("PRAGMA journal_mode=") + std::string(mode));
  if (!st) return std::unexpected(st.error());
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  std::string now = *row ? st->text(0) : std::string();
  st->reset();
  return now;
}

}  // namespace

result<bool> convert_page_size(sqlite3* db, int wanted) {
  auto found = sql::scalar(db, "SELECT page_size + 0 * ?1 FROM pragma_page_size");
  if (!found) return std::unexpected(found.error());
  if (*found == wanted) return false;
  const auto start = std::chrono::steady_clock::now();
  // Leaving WAL copies the WAL into the file and removes it; it needs the
  // only connection to the file. Another process holding it (an operator's
  // sqlite3 shell): the mode stays "wal", nothing changes, and the next
  // open tries again.
  auto left = set_journal_mode(db, "DELETE");
  if (!left) return std::unexpected(left.error());
  if (*left != "delete") {
    log::warning("store.page_size_kept", "the store could not leave WAL mode to change its page size; next start "
                 "tries again", {{"page_size", std::to_string(*found)}, {"wanted", std::to_string(wanted)}});
    return false;
  }
  // VACUUM under the rollback journal is one transaction: a crash or power
  // loss in the middle leaves a hot journal that the next open rolls back,
  // so the file is whole with its old page size and this runs again.
  auto vacuumed = sql::exec(db, "PRAGMA page_size=" + std::to_string(wanted) + "; VACUUM");
  auto back = set_journal_mode(db, "WAL");
  if (!back) return std::unexpected(back.error());
  if (*back != "wal") return fail(errc::store_unavailable, "the store could not go back to WAL mode: " + *back);
  if (!vacuumed) {
    log::warning("store.page_size_kept", "the store's page size could not be changed; next start tries again",
                 {{"page_size", std::to_string(*found)}, {"wanted", std::to_string(wanted)},
                  {"error", vacuumed.error().message()}});
    return false;
  }
  log::notice("store.page_size_converted", "the store was rebuilt with smaller pages (fewer bytes written per scan)",
              {{"from", std::to_string(*found)}, {"to", std::to_string(wanted)},
               {"ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - start).count())}});
  return true;
}

}  // namespace ravao::schema
