#pragma once
// The durable store: one SQLite file in WAL mode with synchronous=FULL. A scan
// counts as accepted only once the transaction holding its records commits.
// Every record gets the next per-gateway sequence number (gap-free,
// increasing) in the same transaction: the future upload position.
//
// Threading: a store object is used by one thread at a time. ravaod gives the
// writing store to the committer thread (store/committer.hpp) and opens a
// second, read-only store on the event loop for ravaoctl queries.
//
// Personal data (docs/privacy.md): a visitor's ID number, name, birth date,
// sex, address, old ID, issue date, phone, declaration answers and any
// scanned text that may be personal are sealed to the provincial public key
// (seal::seal, crypto_box_seal) before they reach the disk. The store keeps in
// clear only a keyed hash of the ID number (`person_key`: visit matching) and
// masked display forms (`NGUYỄN V. A.`, `0010******45`). Without a provincial
// key the personal fields are not kept at all (flag personal_data_not_kept).
// Nothing the store returns holds more than the masked forms.

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
#include "common/clock.hpp"
#include "common/error.hpp"
#include "payload/classify.hpp"
#include "common/seal.hpp"
#include "slip/job_content.hpp"

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
  // seal_person(payload, key), made by the caller ahead of time (sealing
  // costs ~70 us: done on the event loop, not in the writer's transaction).
  // Empty: the writer seals itself when the store has a key.
  std::string sealed;
};

// Whether a payload carries personal data: an identity (cccd, personal_qr),
// or scanned text that is not one of ravao's own codes (a health-insurance
// card, an unrecognised code that may be a damaged ID card).
bool carries_personal_data(const classified_payload& p);
// The sealed form of a payload's personal data: seal::seal(key, JSON) with
// the fields of docs/sync-protocol.md ("A record": id_number, name,
// birth_date, sex, address, old_id_number, issue_date, payload). Empty when
// the payload carries nothing personal.
std::string seal_person(const classified_payload& p, const seal::public_key& key);
// The JSON seal_person seals (tests and the migration use it).
std::string person_plaintext(const classified_payload& p);

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
  // the store sets slip_number, and person_name (the masked name, NGUYỄN V.
  // A.: the store holds nothing more) and person_id_masked when preprinting.
  slip::slip_content content;
  std::function<std::string(std::int64_t)> format_number;
  timestamp at;
};

struct print_job_row {
  std::int64_t id = 0;
  std::string printer_id;
  std::string counter_id;
  std::string kind;  // slip | card | test
  std::optional<std::int64_t> slip_sequence;
  std::string content;  // JSON as stored: read it with slip::decode(kind, content)
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
  slip::job_content content;  // a card or a test page (slips: issue_slip)
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
  // The declared identity and answers: sealed with the answers (never stored
  // in clear); the record keeps the hash of the ID number and the masks.
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
  std::string name_masked;  // NGUYỄN V. A.
  std::string id_masked;    // 0010******45
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
  std::string type;  // "visit_opened", "visit_closed", "scan", "command", "slip_issued", ..., "device"
  std::string counter_id;
  std::int64_t visit_id = 0;
  std::string payload_kind;
  std::string name_masked;  // when a person is known
  std::string id_masked;
  bool has_sealed = false;  // personal data sealed to the province (the gateway cannot open it)
  std::string payload;      // clear text of payloads that carry nothing personal
  std::optional<std::int64_t> ref;  // undo: the seq undone; slip records: the slip's sequence
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

// The store side of sync (store/sync.cpp, docs/sync-protocol.md).
struct upload_batch {
  std::vector<std::int64_t> seqs;  // in increasing order
  std::string records_json;        // a JSON array "[{...},...]": each record in the protocol's form
};

struct dead_letter {
  std::int64_t seq = 0;
  std::string reason;
};

struct sync_position {
  std::string stream;              // 32 hex digits, drawn when the store was created
  std::int64_t acked_seq = 0;      // the server stored every record up to here
  std::int64_t last_seq = 0;
  std::int64_t depth = 0;          // records after acked_seq that are not dead-lettered
  std::int64_t dead_letters = 0;
  std::optional<std::int64_t> oldest_unsent_wall_ms;
};

struct day_count {
  std::string date;  // "YYYY-MM-DD", local (the store's UTC offset)
  std::int64_t scans = 0, visits = 0, slips = 0;
};

struct store_options {
  std::chrono::minutes utc_offset{420};
  // `[sync] public_key`: personal data is sealed to it. Without it nothing
  // personal is kept (records are flagged personal_data_not_kept), and a
  // store of schema 2 holding clear personal data cannot be migrated.
  std::optional<seal::public_key> province_key;
};

class store {
 public:
  enum class mode { read_write, read_only };

  // Opens (creating folder and file when needed) and migrates the store. A
  // read-write open runs `PRAGMA quick_check`; a corrupt file is moved aside
  // as PATH.corrupt-<UTC time> (with its -wal/-shm), kept, and a fresh store
  // started; store_health().recovered_from says so from then on.
  // Migrating a schema-2 store that holds clear personal data seals it to
  // options.province_key (then VACUUM and a WAL truncation leave no clear
  // copy in the files); without a key that open fails and says what to set.
  static result<store> open(const std::filesystem::path& path, mode m, const store_options& options);
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

  // Retention, `retention_days` back from `now`:
  //   - records the server acknowledged (seq <= acked_seq), not dead-lettered,
  //     older than retention; never an unacknowledged or dead-lettered one,
  //     and never the newest record (it carries the next seq across restarts);
  //   - closed visits whose close is older than retention (never the newest
  //     visit: its id must not be handed out again);
  //   - rejected-scan samples and finished print jobs older than retention.
  // Returns how many rows went.
  result<int> prune(const timestamp& now, int retention_days);

  const store_totals& totals() const;
  // Whether personal data is sealed (a provincial key was given). False: the
  // personal fields are not kept at all; status raises an alarm.
  bool sealing() const;

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
  // a scan made at the counter within `window` (ref: its seq) and
  // reverts its effect on visits. Nothing to do is not an error (seq 0).
  result<staff_command_outcome> checkout_last(const std::string& counter_id, const timestamp& at);
  result<staff_command_outcome> undo_last(const std::string& counter_id, const timestamp& at,
                                          std::chrono::seconds window);

  // Sync (store/sync.cpp). read_upload_batch works on a read-only store too.
  // Records after `after_seq` in seq order, skipping dead-lettered ones: at
  // most max_records, stopping before the JSON would pass max_bytes (always
  // at least one record when any exists).
  result<upload_batch> read_upload_batch(std::int64_t after_seq, std::size_t max_records,
                                         std::size_t max_bytes) const;
  // One transaction: acked_seq = max(acked_seq, through_seq); each dead
  // letter stored (INSERT OR REPLACE) at `at`. Writing store only.
  result<void> acknowledge(std::int64_t through_seq, std::span<const dead_letter> dead, const timestamp& at);
  // Cheap (a handful of indexed lookups): called every few seconds.
  result<ravao::sync_position> sync_position() const;
  // Dead letters in seq order, at most `limit`, with when they were stored.
  result<std::vector<std::pair<dead_letter, std::int64_t>>> dead_letters(int limit) const;
  // The last `days` local days, today first (days without records count 0):
  // scans (records a scan made), visits (opened, or closed without an
  // opening), slips issued.
  result<std::vector<day_count>> daily_counts(const timestamp& now, int days) const;
  // A "device" record: counter = the device id, payload = the event
  // ("online", "offline", "paper_out", ...). Writing store only.
  result<std::int64_t> log_device_event(std::string_view device_id, std::string_view event, const timestamp& at);

  result<std::vector<print_job_row>> jobs(const job_filter& f) const;
  result<std::optional<slip_row>> slip(std::int64_t sequence) const;
  // The sequence the next slip will get (not reserved).
  result<std::int64_t> next_slip_sequence() const;

  static constexpr int schema_version = 3;

  struct impl;  // defined in store/store_impl.hpp, private to store/*.cpp

 private:
  explicit store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace ravao
