#pragma once
// The trace file (docs/tracing.md): the visit index and the audit log, one
// SQLite file that lives only where the provincial secret key is, never
// beside the ingest server's store.
//
// The index holds one row per visit (gateway, stream, visit id): counter,
// in and out times with how they are known, the records that made it, and
// `person`, a keyed hash (BLAKE2b-256 under a key derived from the secret
// key) of the normalised ID number sealed in the visit's records. index()
// opens only the records it has not seen (the store's row ids grow), so a
// trace opens nothing but the records of its answer.
//
// Owned by one thread (a command).

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/seal.hpp"
#include "common/sqlite.hpp"
#include "receiver/trace_source.hpp"

namespace ravao::receiver {

// Keys derived from the provincial secret key, one per use, so that none of
// them opens records and the secret key itself is in no table.
struct trace_keys {
  std::array<unsigned char, seal::key_bytes> person{};  // keys the ID number hashes
  std::array<unsigned char, seal::key_bytes> audit{};   // keys the audit log's hash chain
  static trace_keys derive(const seal::key_pair& keys);
};

// "001090012345", " 001 090 012 345 ", "c1234567" -> ASCII letters
// upper-cased and digits kept, everything else dropped.
std::string normalise_id_number(std::string_view id);

// How a visit's time is known (docs/receiver.md, "Time").
enum class time_source { none, synced, derived, unknown };
std::string_view name_of(time_source t);

struct indexed_visit {
  std::int64_t row = 0;
  std::string gateway, stream;
  std::int64_t visit = 0;
  std::string counter;
  std::optional<std::int64_t> in_ms, out_ms;
  time_source in_time = time_source::none, out_time = time_source::none;
  std::optional<std::int64_t> in_record, out_record;  // the store's row ids
  std::string close_reason;
  std::int64_t received_ms = 0;  // of its last record: the visit happened before
  std::string person;  // keyed hash, "" when no ID number was sealed
};

struct index_stats {
  std::int64_t read = 0;       // records read from the store
  std::int64_t opened = 0;     // sealed fields opened
  std::int64_t visits = 0;     // visits touched
  std::int64_t retimed = 0;    // visits whose unknown time became known
  std::int64_t first_id = 0, last_id = 0;  // the store's row ids read
};

class trace_index {
 public:
  // Creates the file and its schema when missing (mode 0600 by the
  // receiver's umask). A file made under another key pair is refused.
  static result<std::unique_ptr<trace_index>> open(const std::filesystem::path& path, const trace_keys& keys);
  // Without a key: only the audit log can be read (audit without --verify).
  static result<std::unique_ptr<trace_index>> open_read_only(const std::filesystem::path& path);
  ~trace_index();
  trace_index(const trace_index&) = delete;
  trace_index& operator=(const trace_index&) = delete;

  // Indexes every record of the store not indexed yet, opening the sealed
  // field of openings and of exits without entry; fills in the times that
  // boot anchors made known since. One transaction per 10,000 records.
  result<index_stats> index(trace_source& source, const seal::key_pair& keys);

  std::string person_of(std::string_view id_number) const;
  result<std::vector<indexed_visit>> visits_of_person(std::string_view person);
  result<std::vector<indexed_visit>> visits_of_slip(std::int64_t slip, const std::optional<std::string>& gateway);
  // Visits at `gateway` that may overlap [from, to]: entered in
  // [from - lookback, to], exited without entry in [from, to], or of
  // unknown time and received at or after `from`.
  result<std::vector<indexed_visit>> visits_near(std::string_view gateway, std::int64_t from, std::int64_t to,
                                                 std::int64_t lookback);
  // The longest closed visit indexed, in ms.
  std::int64_t longest_visit_ms() const { return longest_ms_; }

  sqlite3* handle() const { return db_; }

 private:
  explicit trace_index(sqlite3* db) : db_(db) {}
  result<void> prepare();
  result<void> index_one(const source_record& r, seal::batch_opener& opener, index_stats& stats);
  result<void> retime(trace_source& source, index_stats& stats);
  result<std::vector<indexed_visit>> rows(sql::statement& q);

  sqlite3* db_ = nullptr;  // closed last, after the statements
  trace_keys keys_{};
  std::int64_t longest_ms_ = 0;
  sql::statement open_visit_, close_visit_, add_slip_, by_person_, by_slip_, near_in_, near_no_entry_, near_unknown_;
  sql::statement unknown_, set_in_time_, set_out_time_;
};

}  // namespace ravao::receiver
