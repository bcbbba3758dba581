#pragma once
// Private to the store: the connection and the writer's in-memory state
// behind store_reader and store_writer, shared by store/*.cpp.

#include <sqlite3.h>

#include <unordered_map>

#include "common/sqlite.hpp"
#include "store/store.hpp"
#include "store/visit_rules.hpp"  // recent_scan

namespace ravao {

struct store_connection {
  sqlite3* db = nullptr;
  std::filesystem::path path;
  std::chrono::minutes utc_offset{420};
  std::optional<seal::public_key> province_key;
  std::shared_ptr<seal::window_sealer> sealer;  // set exactly when province_key is
  // meta.person_hash_key: the key of person_key = keyed_hash(key, ID number).
  std::array<unsigned char, seal::key_bytes> hash_key{};
  std::int64_t next_seq = 1;
  bool recovered_now = false;
  store_totals totals;
  std::unordered_map<std::string, recent_scan> recent;  // the duplicate window, by recent_key

  // Write-path statements, prepared once by store_writer::open.
  sql::statement ins_record, ins_visit, ins_exit_only, find_open_here, find_open_any, close_visit,
      touch_visit, dup_visit, tally_dup, tally_rej, ins_rejected, open_visits;

  ~store_connection();
  result<void> prepare_write_statements();
  result<void> load_state();
};

// The duplicate window's key: a person by the hash of their ID number, a
// payload without identity by its text (memory only, never written).
std::string recent_key(std::string_view counter_id, std::string_view person_key, std::string_view text);

// A known person as the store keeps them: the keyed hash of the ID number
// and the masked display forms.
struct person_keys {
  std::string key, name_masked, id_masked;
};
person_keys keys_of(const store_connection& s, std::string_view id_number, std::string_view full_name);

// The sealed plaintext of a declaration: the declared identity, phone,
// address, sex and birth date at the top level (as for a scan), and the
// answers as "declaration".
std::string declaration_plaintext(std::string_view id_number, std::string_view name,
                                  std::string_view declaration_json);

// Loads meta.person_hash_key into s.hash_key.
result<void> load_hash_key(store_connection& s);

}  // namespace ravao

namespace ravao {
result<store_totals> compute_totals(sqlite3* db, const timestamp& now, std::chrono::minutes utc_offset);
}  // namespace ravao
