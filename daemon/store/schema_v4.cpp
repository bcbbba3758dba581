// Schema 4: re-masks what earlier versions masked (issue 18, findings 7 and
// 8; docs/privacy.md, "Masks"). Before it, an ID mask kept 6 characters
// whatever the length ("C123**67") and a name split on ASCII spaces only, so
// a name with NBSP separators was kept whole. Both mask functions are
// idempotent and narrower than the old ones (text::mask_id of an old mask is
// the new mask of the number; text::mask_name of an old name mask is the new
// name mask of the name), so the stored masks are re-masked in place:
//   1. records' and visits' name_masked and id_masked;
//   2. pre-printed slip jobs' person_name and person_id_masked (JSON edited
//      by SQLite's json_set: content the slip decoder would refuse is
//      re-masked too, and nothing else in it changes);
//   3. meta.scrub_pending, so migrate() then runs VACUUM and truncates the
//      WAL: the old masks, full names among them, do not survive in free
//      pages.
// Records already at the province keep the old masks there; see
// docs/privacy.md.

#include <string>
#include <string_view>

#include "common/sqlite.hpp"
#include "common/text.hpp"
#include "store/schema.hpp"

namespace ravao::schema {
namespace {

// SQL functions ravao_mask_id(x) and ravao_mask_name(x): the text:: masks,
// NULL for NULL.
template <std::string (*Mask)(std::string_view)>
void sql_mask(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  const auto* p = sqlite3_value_text(argv[0]);
  const auto n = static_cast<std::size_t>(sqlite3_value_bytes(argv[0]));
  const std::string out = Mask(std::string_view(reinterpret_cast<const char*>(p), p ? n : 0));
  sqlite3_result_text(ctx, out.data(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
}

constexpr std::string_view remask_sql = R"sql(
UPDATE records SET name_masked = ravao_mask_name(name_masked), id_masked = ravao_mask_id(id_masked)
  WHERE name_masked IS NOT NULL OR id_masked IS NOT NULL;
UPDATE visits SET name_masked = ravao_mask_name(name_masked), id_masked = ravao_mask_id(id_masked)
  WHERE name_masked IS NOT NULL OR id_masked IS NOT NULL;
UPDATE print_jobs SET content = json_set(content, '$.person_name',
                                         ravao_mask_name(json_extract(content, '$.person_name')))
  WHERE json_valid(content) AND json_type(content, '$.person_name') = 'text';
UPDATE print_jobs SET content = json_set(content, '$.person_id_masked',
                                         ravao_mask_id(json_extract(content, '$.person_id_masked')))
  WHERE json_valid(content) AND json_type(content, '$.person_id_masked') = 'text';
INSERT OR REPLACE INTO meta(key, value) VALUES('scrub_pending', '1');
)sql";

// Registers (or, with `on` false, removes) the two functions on `db`.
result<void> mask_functions(sqlite3* db, bool on) {
  constexpr int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY;
  for (const auto& [name, fn] : {std::pair{"ravao_mask_id", &sql_mask<text::mask_id>},
                                 std::pair{"ravao_mask_name", &sql_mask<text::mask_name>}}) {
    const int rc = sqlite3_create_function_v2(db, name, 1, flags, nullptr, on ? fn : nullptr, nullptr, nullptr,
                                              nullptr);
    if (rc != SQLITE_OK) return std::unexpected(sql::make_error(db, rc, name));
  }
  return {};
}

}  // namespace

result<void> migrate_to_4(sqlite3* db, const migration_options&) {
  if (auto r = mask_functions(db, true); !r) return r;
  auto r = sql::exec(db, remask_sql);
  // Removed whatever happened: nothing else may call them.
  if (auto off = mask_functions(db, false); r && !off) return off;
  return r;
}

}  // namespace ravao::schema
