#pragma once
// The store's write side: the one connection that creates, migrates and
// writes the file. Each write is one transaction (sql::transaction); the
// in-memory state (next seq, totals, the duplicate window) changes only once
// it commits. A store_writer reads too (it is a store_reader over its own
// connection), for the writer thread and the tests.
//
// Threading: one thread at a time. ravaod gives its store_writer to the
// committer thread (store/committer.hpp); everything else reads through its
// own store_reader.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/seal.hpp"
#include "common/seal_window.hpp"
#include "store/requests.hpp"
#include "store/store_reader.hpp"

namespace ravao {

struct store_options {
  std::chrono::minutes utc_offset{420};
  // `[sync] public_key`: personal data is sealed to it. Without it nothing
  // personal is kept (records are flagged personal_data_not_kept), and a
  // store of schema 2 holding clear personal data cannot be migrated.
  std::optional<seal::public_key> province_key;
  // Seals records (v2) to province_key, shared with the other sealing
  // threads (ravaod's loop) so one window key serves them all; null: the
  // store makes its own.
  std::shared_ptr<seal::window_sealer> sealer;
};

// How long after a scan UNDO_LAST may take it back (a closed visit it
// reopens must still match an exit, so its hash is kept that long).
inline constexpr std::chrono::minutes undo_window{10};

class store_writer : public store_reader {
 public:
  // Opens (creating folder and file when needed) and migrates the store,
  // after `PRAGMA quick_check`; a corrupt file is moved aside as
  // PATH.corrupt-<UTC time> (with its -wal/-shm), kept, and a fresh store
  // started; store_health().recovered_from says so from then on.
  // Migrating a schema-2 store that holds clear personal data seals it to
  // options.province_key (then VACUUM and a WAL truncation leave no clear
  // copy in the files); without a key that open fails and says what to set.
  // Any statement of the write path that does not prepare fails the open.
  static result<store_writer> open(const std::filesystem::path& path, const store_options& options);
  static result<store_writer> open(const std::filesystem::path& path,
                                   std::chrono::minutes utc_offset = std::chrono::minutes{420});

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

  // Forgets what is no longer needed of a person (store/forget.cpp,
  // docs/privacy.md "Keys"): the hashes of records and closed visits older
  // than the duplicate and undo windows, the masks of acknowledged records
  // and of visits closed before today, retired hash keys no hash uses any
  // more; then empties the WAL. Bounded transactions; run with expiry.
  // Returns how many rows changed.
  result<int> forget(const timestamp& now, const visits_config& settings);

  // Running totals as of the last commit.
  const store_totals& totals() const;
  // Whether personal data is sealed (a provincial key was given). False: the
  // personal fields are not kept at all; status raises an alarm.
  bool sealing() const;

  // Paper slips and the print queue (store/slips.cpp, docs/slips.md). Each
  // call is one transaction.
  result<issued_slip> issue_slip(const slip_request& r);
  // With by.action: and its `action` record, in the same transaction.
  result<print_job_row> add_job(const job_request& r, const person_action& by = {});
  // A new job printing slip `sequence` again ("reprint": true in its
  // content). With an `actor`: and an `action` record "slip.reprint" naming
  // the slip (ref: its sequence, payload: its printed number `number`), in
  // the same transaction.
  result<print_job_row> reprint_slip(std::int64_t sequence, const std::string& printer_id, const timestamp& at,
                                     std::string_view actor = {}, std::string_view number = {});
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
  // `actor`: who asked through the control socket (records.actor); empty
  // for a command scanned from a card.
  result<staff_command_outcome> checkout_last(const std::string& counter_id, const timestamp& at,
                                              std::string_view actor = {});
  // Closes open visit `visit_id` opened at `counter_id` as CHECKOUT_LAST
  // does (without one: checkout_last); errc::not_found when that visit is
  // not open there.
  result<staff_command_outcome> checkout_visit(const std::string& counter_id, std::optional<std::int64_t> visit_id,
                                               const timestamp& at, std::string_view actor);
  result<staff_command_outcome> undo_last(const std::string& counter_id, const timestamp& at,
                                          std::chrono::seconds window, std::string_view actor = {});

  // Sync (store/sync.cpp). One transaction: acked_seq = max(acked_seq,
  // through_seq); each dead letter stored (INSERT OR REPLACE) at `at`. A
  // dead letter whose reason is the server's "unknown record type" (HTTP
  // 422) is held: it names the record's type and is sent again
  // (read_held_batch) until a receiver that knows the type stores it.
  result<void> acknowledge(std::int64_t through_seq, std::span<const dead_letter> dead, const timestamp& at);
  // Held records the server has now stored: no longer dead letters. Their
  // seqs are at or below acked_seq (or, if not yet, the next batch sends
  // them again: a duplicate), so retention treats them as acknowledged.
  result<void> release_held(std::span<const std::int64_t> seqs);
  // A "device" record: counter = the device id, payload = the event
  // ("online", "offline", "paper_out", ...).
  result<std::int64_t> log_device_event(std::string_view device_id, std::string_view event, const timestamp& at);

  static constexpr int schema_version = 8;

 private:
  explicit store_writer(std::unique_ptr<store_connection> s);
};

}  // namespace ravao
