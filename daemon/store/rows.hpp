#pragma once
// What the store answers: rows of its tables, outcomes of writes, totals,
// the sync position. Plain values; nothing here refers to the connection.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ravao {

enum class job_state { queued, printing, printed, failed, cancelled };
std::string_view to_string(job_state s);

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
  std::string id_masked;    // **********45
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
  std::string actor;  // who asked through the control socket ("web:alice"); empty: nobody
  std::string action;      // `action` records: the control command ("slip.reprint", "card.print", ...)
  std::string printer_id;  // `action` records: the printer it went to
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
  // Of the dead letters, those held because the server did not know their
  // record type (an older receiver), and those types, sorted.
  std::int64_t held = 0;
  std::vector<std::string> held_types;
};

// The supervisor's summary (store_reader::summary, docs/control.md "summary").
struct hour_count {
  std::string counter_id;
  int hour = 0;  // local hour of the day, 0..23
  std::int64_t visits = 0;
};

struct day_summary {
  std::string date;  // "YYYY-MM-DD", local
  std::string counter_id;
  std::int64_t visits = 0, declarations = 0, slips_issued = 0, slips_returned = 0, duplicates = 0,
               staff_checkouts = 0;
};

struct activity_summary {
  std::vector<std::string> dates;        // the days asked for, oldest first
  std::vector<hour_count> today_hours;   // today's visits by counter and hour (only hours with visits)
  std::vector<day_summary> days;         // by date, then counter (only counters with activity that day)
  std::int64_t records_read = 0;         // what the query scanned (its cost)
};

struct day_count {
  std::string date;  // "YYYY-MM-DD", local (the store's UTC offset)
  std::int64_t scans = 0, visits = 0, slips = 0;
};


}  // namespace ravao
