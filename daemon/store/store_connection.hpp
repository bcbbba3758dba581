#pragma once
// Private to the store: the connection and the writer's in-memory state
// behind store_reader and store_writer, shared by store/*.cpp.

#include <sqlite3.h>

#include <unordered_map>

#include "common/sqlite.hpp"
#include "store/store.hpp"
#include "store/visit_rules.hpp"  // recent_scan

namespace ravao {

// One row of hash_keys, in memory while it lives (wiped when destroyed).
struct hash_key {
  std::int64_t id = 0;
  std::array<unsigned char, seal::key_bytes> key{};
  std::string period;  // key_period() of the time it was made current for
  // When it stopped being current; empty boot id: it is the current key.
  std::string retired_boot_id;
  std::int64_t retired_boottime_ns = 0;
};

struct store_connection {
  sqlite3* db = nullptr;
  std::filesystem::path path;
  std::chrono::minutes utc_offset{420};
  std::optional<seal::public_key> province_key;
  std::shared_ptr<seal::window_sealer> sealer;  // set exactly when province_key is
  // The live rows of hash_keys (store/hash_keys.cpp): the keys of
  // person_key = keyed_hash(key, ID number); the current one first.
  std::vector<hash_key> hash_keys;
  // Records up to this seq hold no person_key (meta.hashes_forgotten_through).
  std::int64_t forgotten_through = 0;
  // Visits below this id hold no person_key (found at open, then after each
  // forgetting pass): the forgetting reads visits from here, with no index.
  std::int64_t hashed_visits_from = 0;
  // The local day whose closed visits' masks were last cleared (0: not yet
  // since open); whether a TRUNCATE checkpoint was refused by a reader.
  std::int64_t masks_day = 0;
  bool wal_dirty = false;
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
// (empty where the record needs none: only a visitor's scan is matched) and
// the masked display forms.
struct person_keys {
  std::string key, name_masked, id_masked;
};
// The masks of a person, without a hash (a declaration is never matched).
person_keys masks_of(std::string_view id_number, std::string_view full_name);

// The sealed plaintext of a declaration: the declared identity, phone,
// address, sex and birth date at the top level (as for a scan), and the
// answers as "declaration".
std::string declaration_plaintext(std::string_view id_number, std::string_view name,
                                  std::string_view declaration_json);

// Hash keys with a bounded life (store/hash_keys.cpp, docs/privacy.md
// "Keys"). Writer thread only.
//
// What a key is current for: "day:<local day>" when the clock is
// synchronised, else "boot:<boot id>:<day of CLOCK_BOOTTIME>" (24 h of
// uptime). A scan in another period makes a new key current.
std::string key_period(const timestamp& at, std::chrono::minutes utc_offset);
// Loads the live keys, meta.hashes_forgotten_through and hashed_visits_from.
result<void> load_hash_keys(store_connection& s);
// Sets s.hashed_visits_from to the first visit from id `from` on that holds
// a person_key (past the last visit when none does).
result<void> find_hashed_visits(store_connection& s, std::int64_t from);
// Makes a key for `at`'s period current if it is not already, in its own
// transaction (once a day); the previous key retires, still matching.
result<void> rotate_hash_key(store_connection& s, const timestamp& at);
// The hash of `id_number` under every live key, the current key's first.
std::vector<std::pair<std::int64_t, std::string>> hashes_of(const store_connection& s, std::string_view id_number);
// How long a closed visit's and a record's person_key are kept: the
// duplicate window, and the undo window (an undone exit reopens the visit,
// which must match again).
std::chrono::milliseconds keep_hashes_for(const visits_config& settings);

}  // namespace ravao

namespace ravao {
result<store_totals> compute_totals(sqlite3* db, const timestamp& now, std::chrono::minutes utc_offset);
}  // namespace ravao
