#include "common/log_events.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace ravao::log {
namespace {

constexpr std::string_view ravaod = "ravaod";
constexpr std::string_view receiver = "ravao-receiver";
constexpr std::string_view every = "every program";
constexpr std::string_view web = "ravao-web";

// Grouped by program, then by area, in the order an operator meets them.
constexpr auto events = std::to_array<event_doc>({
    // ---- every program: supervision (common/supervise.hpp)
    {every, "task.failed", "error", "a long-running task threw; `action` says what follows: `restart`, or `exit` (the policy is exit_process, or the restart budget is spent)", "`task`, `error`, `restarts`, `action`"},
    {every, "task.restarted", "notice", "a failed task was started again after its backoff", "`task`, `restarts`"},
    {every, "session.failed", "warning", "one connection's session threw; only that connection is closed", "`task`, `error`"},
    {every, "process.exiting", "critical", "a task cannot go on: the program stops cleanly and exits with code 1 (systemd restarts it)", "`reason`"},

    // ---- ravaod: life cycle
    {ravaod, "daemon.started", "info", "start-up complete", "`site`, `counters`, `store`, `socket`, `version`"},
    {ravaod, "daemon.failed", "critical", "start-up failed (store, socket, SQLite without threads)", "(message only)"},
    {ravaod, "daemon.crashed", "critical", "an exception escaped the event loop", "(message only)"},
    {ravaod, "daemon.stopping", "info", "SIGTERM/SIGINT received, or `process.exiting`", "`signal`"},
    {ravaod, "daemon.stopped_with_pending", "error", "store unavailable at shutdown; unacknowledged scans not saved", "`error`"},
    {ravaod, "daemon.stopped_with_usb_open", "warning", "a USB device did not give its transfers back within 2 s of SIGTERM; exiting anyway", "—"},
    {ravaod, "daemon.stopped", "info", "last line before exit", "—"},
    {ravaod, "config.invalid", "error", "invalid file at start (one per problem)", "`file`, `line`"},
    {ravaod, "config.reloading", "info", "SIGHUP received", "`file`"},
    {ravaod, "config.rejected", "error", "reload: one per problem", "`file`, `line`"},
    {ravaod, "config.reload_failed", "error", "reload rejected, old configuration kept", "`errors`"},
    {ravaod, "config.restart_required", "warning", "reload changed `site`, `store` or `control`", "`section`"},
    {ravaod, "config.reloaded", "info", "reload applied", "`kept`, `started`, `stopped`"},

    // ---- ravaod: devices
    {ravaod, "scanner.online", "info", "device opened / stdin read", "`counter`, `scanner`, `device`, `reason`"},
    {ravaod, "scanner.offline", "warning", "device could not be opened (not yet online), or its loop is being restarted", "same"},
    {ravaod, "scanner.gone", "warning", "an online device went away", "same"},
    {ravaod, "scanner.error", "warning", "a device cannot be used (permission, busy, unusable descriptors, USB unavailable); the reason says what to do", "same"},
    {ravaod, "scanner.keyboard_mangled", "warning", "a keyboard-mode USB scanner sent a CCCD that lost its Vietnamese letters: switch it to HID POS or serial", "`counter`, `scanner`"},
    {ravaod, "scanner.report_dropped", "warning", "a HID POS report was inconsistent", "`counter`, `scanner`"},
    {ravaod, "scanner.report_ignored", "warning", "a keyboard report was not a boot report", "`counter`, `scanner`"},
    {ravaod, "printer.online", "info", "a printer transport is ready", "`printer`, `kind`, `reason`"},
    {ravaod, "printer.offline", "info", "a printer is not available (not yet online), or its loop is being restarted", "same"},
    {ravaod, "printer.gone", "warning", "an online printer went away", "same"},
    {ravaod, "printer.error", "warning", "a printer cannot be used; the reason says what to do", "same"},
    {ravaod, "printer.status", "info/warning", "the printer reported a status change (paper out, cover open, ...)", "`printer`, `from`, `to`, `reason`"},
    {ravaod, "usb.assigned", "info", "a USB device was given to a scanner or printer", "`device`, `usb_id`, `port`, `matched_by`"},
    {ravaod, "usb.arrived", "debug", "a USB device was plugged in", "`usb_id`, `port`, `bus`, `address`"},
    {ravaod, "usb.access_pending", "debug", "a device refused to open within 10 s of its arrival (udev may not have applied the rules yet); tried again within a second, no error yet", "`scanner` (scanners), `usb_id`, `port`"},
    {ravaod, "usb.left", "debug", "a USB device was removed", "`usb_id`, `port`"},
    {ravaod, "usb.stall", "warning", "an endpoint stalled; halt cleared", "`scanner` or `printer`, `endpoint`, `result`"},
    {ravaod, "usb.polling", "warning", "a libusb descriptor cannot be watched; polled every 10 ms", "`fd`, `error`"},
    {ravaod, "usb.watch_failed", "warning", "waiting on a libusb descriptor failed", "`error`"},
    {ravaod, "usb.unavailable", "error", "libusb could not start; USB entries show the reason", "`error`"},
    {ravaod, "usb.shutdown_timeout", "warning", "USB handles still open 2 s after SIGTERM", "`open`"},
    {ravaod, "usb.serial_unknown", "warning", "a device's serial number is needed for matching but cannot be read", "`error`"},

    // ---- ravaod: scans, visits, the store
    {ravaod, "scan.accepted", "info", "a scan was committed; message is the effect (`visit_opened`, `visit_closed`, `exit_without_entry`, `rescan`, `event_recorded`, `command_recorded`)", "`counter`, `seq` (0 for rescan), `kind`, `visit`, `flags`, `latency_us` (nothing derived from the person: no name, no ID mask)"},
    {ravaod, "scan.duplicate", "info", "a duplicate within the window was counted", "same as `scan.accepted`, `seq`=0"},
    {ravaod, "scan.identity_mismatch", "warning", "CCCD number disagrees with sex or birth date", "`counter`, `seq`, `flags`"},
    {ravaod, "scan.rejected", "warning", "frame refused by the frame policy, or longer than `max_scan_bytes`", "`counter`, `reason`, `length`, `offset` (frame policy only), `preview` (the shape)"},
    {ravaod, "scan.dropped", "error", "store unavailable too long and the queue is full", "`counter`"},
    {ravaod, "visit.auto_closed", "info", "visits closed by `max_duration` / `end_of_day`", "`count`"},
    {ravaod, "store.corrupt", "critical", "at start, when the store was moved aside (repeated at every later start); or while running, before the daemon stops with exit code 1", "`path`, `moved_to`; running: `error`, `pending`"},
    {ravaod, "store.unavailable", "critical", "first failed commit", "`error`, `pending`"},
    {ravaod, "store.recovered", "notice", "commits succeed again", "—"},
    {ravaod, "store.alarm", "warning", "the store (with its WAL) is larger than `[store] alarm_megabytes`: records wait for upload", "`bytes`, `alarm_bytes`"},
    {ravaod, "store.op_failed", "error", "store work handed to the writer thread threw; it was not done", "`error`"},
    {ravaod, "store.corrupt_copy_pruned", "notice", "the hourly prune deleted a copy of a corrupt store (`PATH.corrupt-…`, its `-wal`, `-shm`) moved aside longer ago than `[store] retention_days`", "`path`"},
    {ravaod, "store.hash_key_rotated", "info", "the first scan of a new local day (or of a new 24 h of uptime without a synchronised clock) made a new person hash key current; the previous one retires (docs/privacy.md, \"Keys\")", "`key_id`, `period`, `live_keys`"},
    {ravaod, "store.hash_key_destroyed", "info", "a retired person hash key was deleted: no open visit uses it and the undo window since it retired has passed", "`key_id`, `period`"},
    {ravaod, "store.corrupt_copy_prune_failed", "warning", "such a copy could not be deleted (retried at the next prune)", "`path`, `error`"},
    {ravaod, "store.page_size_converted", "notice", "at start, a store made with larger pages was rebuilt (once) with 1 KiB pages", "`from`, `to`, `ms`"},
    {ravaod, "store.page_size_kept", "warning", "at start, such a store could not be rebuilt now (another process held it, or the VACUUM failed); it works as it is and the next start tries again", "`page_size`, `wanted`, `error`"},
    {ravaod, "store.device_event", "error", "a device record (a scanner or printer lost or back, a printer status) could not be written", "`device`, `error`"},

    // ---- ravaod: slips, staff commands, printing
    {ravaod, "slip.issued", "info", "a slip was issued (job queued)", "`counter`, `slip`, `visit`, `job`"},
    {ravaod, "slip.reprinted", "info", "`ravaoctl slip reprint`", "`counter`, `slip`, `job`, `actor`"},
    {ravaod, "slip.returned", "info", "a slip's QR was scanned back", "`counter`, `slip`, `visit`"},
    {ravaod, "slip.failed", "error", "a slip could not be issued (store)", "`counter`, `error`"},
    {ravaod, "slip.fonts_missing", "error", "the slip font cannot be loaded: printers stay without a queue", "`error`"},
    {ravaod, "declaration.recorded", "info", "a proxy declaration was recorded", "`counter`, `seq`, `visit`, `slip`"},
    {ravaod, "declaration.copy_queued", "info", "`declare` with `print_copy`: the visitor's printed copy was queued (its answers held in memory only)", "`counter`, `seq`, `job`"},
    {ravaod, "visit.staff_checkout", "info", "control `visit.checkout` closed a visit", "`counter`, `actor`, `seq`, `visit`"},
    {ravaod, "visit.undone", "info", "control `visit.undo` undid the counter's last scan", "`counter`, `actor`, `seq`, `visit`"},
    {ravaod, "visit.nothing_to_do", "info", "control `visit.checkout` / `visit.undo` had nothing to do (message says why)", "`counter`, `actor`, `seq`, `visit`"},
    {ravaod, "poster.queued", "info", "control `poster.print`: the check-in QR poster was queued", "`counter`, `printer`, `actor`"},
    {ravaod, "command.refused", "warning", "a staff command cannot be done (no printer, unknown counter)", "`counter`, `command`, `target` (unknown counter)"},
    {ravaod, "command.done", "info", "CHECKOUT_LAST / UNDO_LAST done (message says what)", "`counter`, `command`, `seq`, `visit`"},
    {ravaod, "command.nothing_to_do", "info", "CHECKOUT_LAST / UNDO_LAST had nothing to do (message says why)", "`counter`, `command`, `seq`, `visit`"},
    {ravaod, "command.failed", "error", "a staff command failed in the store", "`counter`, `command`, `error`"},
    {ravaod, "command.recorded", "notice", "a staff command this build does not act on was recorded", "`counter`, `command`"},
    {ravaod, "print.held", "warning", "a job waits for the printer to be ready", "`printer`, `job`, `kind`, `counter`, `detail`"},
    {ravaod, "print.printed", "info", "a job was printed (and the printer said ready after it)", "same"},
    {ravaod, "print.requeued", "warning", "a job goes back to the queue (write failed, printer stopped, interrupted by a stop)", "same, or `count` at start"},
    {ravaod, "print.failed", "error", "a job cannot be drawn; not retried", "same"},
    {ravaod, "print.state_not_saved", "error", "a print job's new state could not be written to the store", "`job`, `error`"},

    // ---- ravaod: control socket
    {ravaod, "control.accept_failed", "warning", "`accept()` on the control socket failed", "(message only)"},
    {ravaod, "control.group_not_applied", "warning", "at start: `[control] group` cannot be given to the socket (no chown in the sandbox) and the socket keeps its set-group-ID folder's group (the package's `ravao-ctl`), e.g. an older ravao.toml still naming `ravao`", "`group`, `socket`"},
    {ravaod, "control.denied", "warning", "a peer not admitted by SO_PEERCRED: not root, the daemon's user or in the socket's group (`nobody` outside a user namespace included)", "`peer` (`uid=… pid=…`)"},
    {ravaod, "control.subscribed", "info", "a control connection subscribed to the event stream (`subscribe`)", "`counter` (empty: every counter), `subscribers`"},
    {ravaod, "control.subscriber_dropped", "warning", "a subscriber was disconnected because more than 1 MiB of events waited unsent (a stuck client)", "`counter`, `reason`"},
    {ravaod, "control.subscribe_read_failed", "warning", "the records to push to subscribers could not be read from the store; tried again at the next commit", "`error`"},
    {ravaod, "control.web_registered", "info", "the counter console (ravao-web) registered a new address or certificate (`web.register`)", "`url`, `fingerprint`"},

    // ---- ravaod: sync (docs/sync.md)
    {ravaod, "sync.started", "info", "the uploader started", "`url`, `gateway`"},
    {ravaod, "sync.off", "notice", "no `[sync] url`: records are kept until sync is configured", "—"},
    {ravaod, "sync.unavailable", "error", "sync could not start (or restart after a reload); the counters keep recording", "`error`"},
    {ravaod, "sync.waiting_for_clock", "notice", "no upload before the clock is synchronised (NTP)", "—"},
    {ravaod, "sync.clock_synchronised", "info", "the clock is synchronised: uploads may start", "—"},
    {ravaod, "sync.failed", "warning", "an upload failed (once per run of the same failure); the message says why", "`retry_in_ms`"},
    {ravaod, "sync.batch", "debug", "a batch was stored by the server", "`first_seq`, `last_seq`, `records`, `duplicates`"},
    {ravaod, "sync.caught_up", "info", "every record is stored by the server", "`seq`"},
    {ravaod, "sync.split", "notice", "the server refused a batch without naming a record: sending halves", "`status`, `records`"},
    {ravaod, "sync.dead_letter", "warning", "the server will never accept a record: kept as a dead letter", "`seq`, `reason`"},
    {ravaod, "sync.record_conflict", "error", "the server holds other content under this gateway's (stream, seq) (HTTP 409): the records stay unacknowledged, the upload is retried with backoff; the province must investigate (docs/sync-protocol.md)", "`seqs`, `first_seq`, `retry_in_ms`"},
    {ravaod, "sync.conflict_resolved", "notice", "a batch holding the records refused as conflicting was stored: the conflict alarm is cleared", "`seq`"},
    {ravaod, "sync.heartbeat_failed", "info", "a heartbeat was not delivered", "(message only)"},
    {ravaod, "sync.store", "error", "the uploader cannot read its position from the store", "`error`"},
    // i14-actions: records of a type an older receiver does not know (docs/sync.md, "Held records")
    {ravaod, "sync.held_stored", "notice", "the server stored held records (it now knows their type): no longer dead letters", "`records`, `first_seq`, `last_seq`"},
    {ravaod, "sync.record_type_unknown", "error", "the server refused records as of an unknown type (an older ravao-receiver): kept, sent again with each heartbeat; upgrade the province's receiver", "`types`, `held`"},
    {ravaod, "privacy.no_key", "warning", "no `[sync] public_key`: visitors' names and ID numbers are not kept (only masked forms)", "—"},

    // ---- ravao-receiver (docs/receiver.md)
    {receiver, "receiver.db_made_private", "warning", "at start, the database (or its -wal or -shm) was readable by others; its group and other permissions were removed", "`file`, `was`, `now`"},
    {receiver, "receiver.listening", "info", "the server is listening", "`address`, `db`, `mtls`, `tokens` (how many), `denied` (how many entries of `--deny`)"},
    {receiver, "receiver.accept_failed", "warning", "`accept()` failed", "(message only)"},
    {receiver, "receiver.too_many_connections", "warning", "at `--max-connections`: accepting paused until a connection ends (logged once each time)", "`connections`"},
    {receiver, "receiver.too_many_connections_from_address", "warning", "connections from one address over `--max-connections-per-address` are refused (logged once each time the address reaches its cap)", "`peer`, `limit`"},
    {receiver, "receiver.handshake_failed", "info", "a TLS handshake failed", "`peer`, `reason`"},
    {receiver, "receiver.session_closed", "info", "the receiver closed a connection that sent no request in time (its first within the handshake deadline; the next within the idle timeout, shorter while others wait for a session)", "`peer`, `reason`, `seconds`"},
    {receiver, "receiver.request", "info", "one line per request (or a request cut short)", "`peer`, `gateway`, `records`, `accepted`, `duplicates`, `ms`, `store_ms`, `group` (batches committed together), `note`; cut short: `peer`, `reason` or `fault`"},
    {receiver, "receiver.duplicates_discarded", "notice", "records already stored were discarded", "`gateway`, `stream`, `count`"},
    {receiver, "receiver.record_conflict", "error", "a record arrived under a (gateway, stream, seq) already stored with other content: the batch was refused with 409, the refused copy kept in `conflicts`", "`gateway`, `stream`, `seqs`, `first_seq`"},
    {receiver, "receiver.reloaded", "notice", "SIGHUP: `--tokens` and `--deny` were read again", "`tokens`, `denied`"},
    {receiver, "receiver.reload_failed", "error", "SIGHUP: `--tokens` or `--deny` does not read; the lists in force are kept", "`error`"},
    {receiver, "receiver.store_failed", "error", "a batch or heartbeat could not be stored", "`gateway`"},
    // pg (issue 15): the store pool and retention
    {receiver, "receiver.overloaded", "warning", "the store pool (`--db-connections` threads, `--db-queue` waiting) was full: the request was answered 503 with Retry-After", "`gateway`, `pending`, `capacity`"},
    {receiver, "receiver.retention_applied", "info", "records received before the cutoff were dropped (`--retain-days`)", "`cutoff`"},
    {receiver, "receiver.retention_failed", "error", "`--retain-days`: the old records could not be dropped; tried again in an hour", "`error`"},
    // storm (issue 15): the session queue and group commit
    {receiver, "receiver.group_split", "info", "batches grouped into one transaction could not be stored together (a key already stored, a conflict, a deadlock): each is stored again in its own transaction", "`batches`, `reason`"},
    {receiver, "receiver.session_queue_timeout", "warning", "a connection waited `--queue-timeout-seconds` for a TLS session (`--max-sessions` in use): its first request is answered 503 with Retry-After (logged once per episode)", "`peer`, `waiting`, `max_sessions`"},
    {receiver, "receiver.handshake_queue_timeout", "warning", "a connection already past the session queue timeout waited `--queue-timeout-seconds` again for one of the `--max-handshakes` TLS handshakes: closed unanswered, the gateway retries with its backoff (logged once per episode)", "`peer`, `waiting`, `max_handshakes`"},
    // storm (issue 15): the per-gateway limit
    {receiver, "receiver.descriptor_limit", "warning", "at start: the descriptor limit (RLIMIT_NOFILE, raised to its hard limit) is below `--max-connections`", "`limit`, `max_connections`"},
    {receiver, "receiver.gateway_throttled", "warning", "a gateway went over `--per-gateway-in-flight` or `--per-gateway-rate`: its requests are answered 429 with Retry-After (logged once each time it goes over)", "`gateway`, `limit` (`in_flight` or `rate`), `retry_after`"},
    {receiver, "receiver.stats_failed", "warning", "a request could not be counted in the statistics", "(message only)"},
    {receiver, "receiver.stopping", "info", "SIGTERM/SIGINT received", "`signal`"},
    {receiver, "receiver.stopped", "info", "last line before exit", "—"},
    // traceapi: ravao-receiver trace-serve, the trace API (docs/tracing.md, "The HTTPS API")
    {receiver, "trace_api.accept_failed", "warning", "trace-serve: `accept()` failed", "(message only)"},
    {receiver, "trace_api.audit_failed", "error", "trace-serve: a refused request could not be written to the audit log (the refusal was answered)", "`peer`"},
    {receiver, "trace_api.handshake_failed", "info", "trace-serve: a TLS handshake failed (no client certificate, an expired one, another CA); not audited: no request was made", "`peer`, `reason`"},
    {receiver, "trace_api.listening", "info", "trace-serve is listening, the backlog indexed", "`address`, `indexed` (records)"},
    {receiver, "trace_api.reload_failed", "error", "trace-serve, SIGHUP: `--deny` does not read; the list in force is kept", "`error`"},
    {receiver, "trace_api.reloaded", "notice", "trace-serve, SIGHUP: `--deny` was read again", "`denied`"},
    {receiver, "trace_api.request", "info", "trace-serve: one line per request (no personal data: method, path, status)", "`peer`, `client` (the certificate's subject), `ms`, `note`"},
    {receiver, "trace_api.stopped", "info", "trace-serve: last line before exit", "—"},
    {receiver, "trace_api.stopping", "info", "trace-serve: SIGTERM/SIGINT received", "`signal`"},
    {receiver, "trace_api.too_many_connections", "warning", "trace-serve: a connection over `--max-connections` was refused", "`peer`"},
    {receiver, "trace_api.trace_failed", "error", "trace-serve: a trace failed on the tracing host (the store or the trace file); answered 500 and audited", "`peer`"},

    // ---- ravao-web: the server (web/; docs/console.md)
    {web, "web.started", "info", "the console is serving", "`listen`, `url`, `fingerprint`, `control_socket`, `version`"},
    {web, "web.failed", "error", "start-up failed (configuration, certificate, accounts file, port)", "(message only)"},
    {web, "web.certificate_created", "notice", "no certificate was configured or found: a self-signed one was made in `state_dir`", "`certificate`, `fingerprint` (SHA-256)"},
    {web, "web.stopping", "info", "SIGTERM/SIGINT received", "`signal`"},
    {web, "web.stopped", "info", "last line before exit", "—"},
    {web, "web.accept_failed", "warning", "`accept()` failed", "(message only)"},
    {web, "web.too_many_connections", "warning", "a connection over the limit was refused", "`limit`"},
    {web, "web.handshake_failed", "debug", "a TLS handshake failed (TLS below 1.2 included)", "`address`, `reason`"},
    {web, "web.request_refused", "info", "a request that does not parse, or whose header or body is too large, got 400/413/431", "`address`, `reason`"},
    {web, "web.login", "info", "a user logged in (a new session)", "`user`, `role`, `address`"},
    {web, "web.login_error", "error", "a password could not be checked (memory)", "`error`"},
    {web, "web.logout", "info", "a user logged out", "`user`, `address`"},
    {web, "web.csrf_refused", "warning", "a POST without the session's CSRF token was refused (403)", "`user`, `path`, `address`"},
    {web, "web.origin_refused", "warning", "a POST whose Origin is not the console was refused (403)", "`path`, `origin`, `address`"},
    {web, "web.forbidden", "warning", "a staff account asked for another counter or a supervisor endpoint (403)", "`user`, `path`, `counter`, `address`"},
    {web, "web.action", "info", "a write from the console was done by ravaod (with actor `web:<user>`)", "`user`, `command`"},
    {web, "web.action_failed", "info", "a write from the console was refused or failed", "`user`, `command`, `error`"},
    {web, "web.control_unavailable", "warning", "ravaod cannot be reached or did not answer in time: the page shows a 503/504", "`error`"},
    {web, "web.events_opened", "info", "an event stream (SSE) opened", "`user`, `counter` (`*`: all)"},
    {web, "web.events_closed", "info", "an event stream closed", "`user`, `counter`, `reason`"},
    {web, "web.register_unsupported", "debug", "ravaod does not know `web.register` (logged once)", "`error`"},
    {web, "web.register_failed", "debug", "ravaod could not be told the console's URL and fingerprint (retried every 60 s)", "`error`"},
    {web, "web.accounts_unreadable", "error", "users.json changed and does not read: the accounts in memory are kept", "`error`"},
    {web, "web.sessions_ended", "info", "an account was disabled or changed: its sessions ended", "`user`, `sessions`"},

    // ---- ravao-web: logins (web/auth, docs/console.md)
    {web, "web.login_failed", "warning", "a login with a wrong user name or password, or for a disabled account; `wait_s` is the delay it starts (0: still free)", "`user` (as typed), `address`, `failures` (the account's), `wait_s`"},
    {web, "web.login_throttled", "warning", "a login refused unchecked: the account or the address must wait after failed logins (HTTP 429)", "`user` (as typed), `address`, `failures`, `wait_s`"},
});

void append_table(std::string& out, std::string_view program) {
  out += "| Event | Level | When | Fields |\n|-------|-------|------|--------|\n";
  for (const auto& e : events) {
    if (e.program != program) continue;
    out += fmt::format("| `{}` | {} | {} | {} |\n", e.name, e.level, e.when, e.fields);
  }
}

}  // namespace

std::span<const event_doc> registered_events() { return events; }

bool is_registered(std::string_view name) {
  return std::ranges::any_of(events, [&](const event_doc& e) { return e.name == name; });
}

std::string describe_log_events() {
  std::string out =
      "# Log events\n\n"
      "<!-- Generated by `ravaod --print-log-events` from common/log_events.cpp; do not edit by hand.\n"
      "     tests/common/log_events_test.cpp checks this file and that every name logged is registered. -->\n\n"
      "Every event has a stable name, a level, a message and `key=value` fields\n"
      "(docs/architecture.md, \"systemd and logging\"). \"same\" means the fields of\n"
      "the row above.\n\n"
      "## Every program\n\n"
      "The supervision of long-running tasks (`common/supervise.hpp`).\n\n";
  append_table(out, every);
  out += "\n## ravaod\n\nEvery scan event also carries `counter`.\n\n";
  append_table(out, ravaod);
  out += "\n## ravao-receiver\n\n";
  append_table(out, receiver);
  out += "\n## ravao-web\n\n";
  append_table(out, web);
  return out;
}

}  // namespace ravao::log
