#pragma once
// The durable store: one SQLite file in WAL mode with synchronous=FULL. A scan
// counts as accepted only once the transaction holding its records commits.
// Every record gets the next per-gateway sequence number (gap-free,
// increasing) in the same transaction: the future upload position.
//
// Threading: a store object is used by one thread at a time. ravaod gives the
// writing store to the committer thread (store/committer.hpp) and opens a
// second, read-only store on the event loop for ravaoctl queries.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "payload/classify.hpp"

struct sqlite3;

namespace ravao {

// What a counter's scanner delivered, classified, with the moment it arrived.
struct scan_request {
  std::string counter_id;
  counter_mode mode = counter_mode::toggle;
  classified_payload payload;
  std::string symbology;
  timestamp at;
  // ravao_slip payloads whose check digit holds: the slip's sequence number
  // (the caller validates; the classifier does not know check digits).
  std::optional<std::int64_t> slip_sequence;
};

// A frame the scanner delivered that the frame policy refused.
struct rejection_request {
  std::string counter_id;
  std::string reason;
  std::size_t length = 0;
  std::string preview;
  timestamp at;
};

// Paper slips (docs/slips.md). A slip's sequence number is allocated here,
// in the transaction that records it; the printed number adds a check digit
// (slip/slip_number.hpp), formatted by the caller's `format_number`.
enum class job_state { queued, printing, printed, failed, cancelled };
std::string_view to_string(job_state s);

struct slip_request {
  std::string counter_id;
  std::string printer_id;  // the job goes there
  bool preprint_identity = false;  // copy the linked visit's name and masked ID into the content
  std::chrono::seconds link_window{120};
  // What to draw, without the number and identity (site, counter, time, ...):
  // a JSON object; the store adds "number", and "person_name" and
  // "person_id_masked" when preprinting.
  std::string content_json;
  std::function<std::string(std::int64_t)> format_number;
  timestamp at;
};

struct print_job_row {
  std::int64_t id = 0;
  std::string printer_id;
  std::string counter_id;
  std::string kind;  // slip | card | test
  std::optional<std::int64_t> slip_sequence;
  std::string content;  // JSON
  job_state state = job_state::queued;
  std::int64_t attempts = 0;
  std::string last_error;
  std::int64_t created_wall_ms = 0;
  std::optional<std::int64_t> done_wall_ms;
};

struct issued_slip {
  std::int64_t sequence = 0;
  std::string number;     // format_number(sequence)
  std::int64_t seq = 0;   // its slip_issued record
  std::int64_t visit_id = 0;  // linked visit; 0: none
  print_job_row job;
};

struct job_request {
  std::string printer_id;
  std::string counter_id;
  std::string kind;  // card | test
  std::string content_json;
  timestamp at;
};

struct job_filter {
  std::string printer_id;  // empty: all
  bool pending_only = false;  // queued or printing
  int limit = 200;
};

struct slip_row {
  std::int64_t sequence = 0;
  std::string counter_id;
  std::int64_t visit_id = 0;
  std::int64_t issued_seq = 0;
  std::int64_t issued_wall_ms = 0;
  std::optional<std::int64_t> returned_seq;
  std::optional<std::int64_t> declared_seq;
};

// A proxy declaration (ravaoctl declare): one "declaration" record.
struct declaration_request {
  std::string counter_id;
  std::optional<std::int64_t> slip_sequence;  // the slip it transcribes, if any
  std::string slip_number;                    // its printed number, stored as the record's payload
  std::string person_id;    // declared ID number; may be empty
  std::string person_name;
  std::string declaration_json;  // slip::to_json(declaration)
  std::chrono::seconds link_window{120};
  timestamp at;
};

struct declared {
  std::int64_t seq = 0;
  std::int64_t visit_id = 0;  // the slip's visit, else the visit scanned at the counter within link_window
};

struct staff_command_outcome {
  std::int64_t seq = 0;       // the record written; 0: nothing done
  std::int64_t visit_id = 0;
  std::int64_t undone_seq = 0;
  std::string detail;         // what happened, for the log
};

enum class scan_effect {
  visit_opened,
  visit_closed,        // closed one or more open visits of the person
  exit_without_entry,  // exit scan with no open visit: recorded as a closed visit without an opening
  rescan,              // entry scan while already checked in here: extends the visit, no record
  duplicate,           // same person/payload at the same counter within the window: counted only
  event_recorded,      // payload without identity: one scan record
  command_recorded,    // RAVAO:CMD: barcode: one command record
  slip_returned,       // RAVAO:SLIP: of a slip we issued: one slip_returned record, linked to its visit
};
std::string_view to_string(scan_effect e);

struct scan_outcome {
  scan_effect effect = scan_effect::event_recorded;
  std::int64_t seq = 0;       // the last record written for this scan; 0 when none
  std::int64_t visit_id = 0;  // the visit opened/closed/extended; 0 when none
  int records = 0;            // records written for this scan
};

// Running totals kept by the writing store, cheap to copy.
struct store_totals {
  std::int64_t last_seq = 0;
  std::int64_t open_visits = 0;
  std::int64_t visits_today = 0;  // opened on the local day `today`
  std::int64_t today = 0;         // local day number the count refers to
  std::int64_t duplicates = 0;
  std::int64_t rejected = 0;
};

struct visit_row {
  std::int64_t id = 0;
  std::string counter_id;
  std::string person_id;    // clear ID number; callers mask for display
  std::string person_name;  // clear full name; callers mask for display
  std::optional<std::int64_t> opened_wall_ms;
  std::optional<std::int64_t> closed_wall_ms;
  std::string closed_counter_id;
  std::string close_reason;  // "", "scan", "max_duration", "end_of_day", "exit_without_entry"
  bool opened_clock_synced = false;
  std::int64_t duplicates = 0;
  std::int64_t rescans = 0;
};

struct visit_filter {
  std::optional<std::int64_t> since_wall_ms;  // visits with activity at or after
  std::string counter_id;                     // empty: all
  bool open_only = false;
  int limit = 200;
};

struct record_row {
  std::int64_t seq = 0;
  std::string type;  // "visit_opened", "visit_closed", "scan", "command"
  std::string counter_id;
  std::int64_t visit_id = 0;
  std::string payload_kind;
  std::string person_id;
  std::string person_name;
  std::string payload;  // payload text for kinds without identity
  std::string symbology;
  std::string flags;    // comma separated
  std::string close_reason;
  std::int64_t wall_ms = 0;
  std::string boot_id;
  std::int64_t boottime_ns = 0;
  bool clock_synced = false;
};

struct record_filter {
  std::int64_t after_seq = 0;
  std::optional<std::int64_t> since_wall_ms;
  std::string counter_id;
  int limit = 200;
};

struct counter_row {
  std::string counter_id;
  std::int64_t open_visits = 0;
  std::int64_t visits_today = 0;
  std::int64_t records_today = 0;
  std::int64_t duplicates = 0;
  std::int64_t rejected = 0;
  std::optional<std::int64_t> last_scan_wall_ms;
};

struct store_health {
  int schema_version = 0;
  std::string recovered_from;  // non-empty once a corrupt store was moved aside (history)
  std::int64_t recovered_at_ms = 0;
  bool recovered_now = false;  // the move happened when this store object was opened
  std::int64_t file_bytes = 0;
};

class store {
 public:
  enum class mode { read_write, read_only };

  // Opens (creating folder and file when needed) and migrates the store. A
  // read-write open runs `PRAGMA quick_check`; a corrupt file is moved aside
  // as PATH.corrupt-<UTC time> (with its -wal/-shm), kept, and a fresh store
  // started; store_health().recovered_from says so from then on.
  static result<store> open(const std::filesystem::path& path, mode m,
                            std::chrono::minutes utc_offset = std::chrono::minutes{420});

  store(store&&) noexcept;
  store& operator=(store&&) noexcept;
  ~store();

  // Applies the batch in order in one transaction (group commit). On failure
  // nothing of the batch is applied and it may be retried as a whole.
  result<std::vector<scan_outcome>> apply(std::span<const scan_request> scans,
                                          std::span<const rejection_request> rejections,
                                          const visits_config& settings);

  // Closes visits past max_duration (since their last scan) or past the most
  // recent end of day; one visit_closed record each. Returns how many.
  result<int> close_expired(const timestamp& now, const visits_config& settings);

  // Deletes local-only data past retention (rejected-scan samples). Records are
  // never deleted here: that waits for upload acknowledgement (sync work).
  result<int> prune(const timestamp& now, int retention_days);

  const store_totals& totals() const;

  result<std::vector<visit_row>> visits(const visit_filter& f) const;
  result<std::vector<record_row>> records(const record_filter& f) const;
  result<std::vector<counter_row>> counters(const timestamp& now) const;
  result<store_totals> read_totals(const timestamp& now) const;
  store_health health() const;

  // Paper slips and the print queue (store/slips.cpp, docs/slips.md). Each
  // call is one transaction; the writing store only.
  result<issued_slip> issue_slip(const slip_request& r);
  result<print_job_row> add_job(const job_request& r);
  // A new job printing slip `sequence` again ("reprint": true in its content).
  result<print_job_row> reprint_slip(std::int64_t sequence, const std::string& printer_id, const timestamp& at);
  // queued -> printing (attempts + 1), printing -> printed | queued | failed, any -> cancelled.
  result<void> set_job_state(std::int64_t job_id, job_state to, std::string_view error, const timestamp& at);
  // At start: jobs left `printing` by a crash go back to `queued` (they are
  // printed again: a slip twice beats a slip never). Returns how many.
  result<int> requeue_interrupted_jobs();
  result<declared> declare(const declaration_request& r);
  // Staff commands (store/staff_commands.cpp). CHECKOUT_LAST closes the open
  // visit most recently active at the counter (close_reason
  // "staff_checkout"). UNDO_LAST writes an "undo" record for the last record
  // a scan made at the counter within `window` (payload: its seq) and
  // reverts its effect on visits. Nothing to do is not an error (seq 0).
  result<staff_command_outcome> checkout_last(const std::string& counter_id, const timestamp& at);
  result<staff_command_outcome> undo_last(const std::string& counter_id, const timestamp& at,
                                          std::chrono::seconds window);

  result<std::vector<print_job_row>> jobs(const job_filter& f) const;
  result<std::optional<slip_row>> slip(std::int64_t sequence) const;
  // The sequence the next slip will get (not reserved).
  result<std::int64_t> next_slip_sequence() const;

  static constexpr int schema_version = 2;

  struct impl;  // defined in store/store_impl.hpp, private to store/*.cpp

 private:
  explicit store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace ravao
