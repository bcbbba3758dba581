#pragma once
// The uploader: store-and-forward of the record log to the provincial server
// (docs/sync-protocol.md, docs/sync.md).
//
// It runs on a thread of its own with its own io_context and its own
// read-only store connection, so a slow server, a TLS handshake or a big
// batch never stalls the counters' event loop. One upload is in flight at a
// time: read the next batch after the acknowledged position (bounded by
// count and bytes: memory does not grow with the backlog), send it, and only
// on the server's 200 record the new position, in one transaction run on the
// committer's writer thread. A crash anywhere before that transaction means
// the batch is sent again; the receiver discards the copies.
//
// Before the first connection it waits for a synchronised clock (a router at
// 1970 fails every certificate check). Failures back off exponentially with
// full jitter; Retry-After is honoured; a record the server will never
// accept is dead-lettered (kept, shown, never blocking the others); one
// refused because the server does not know its type is held, and sent again
// with each heartbeat until an upgraded server stores it.
//
// It never polls the store: the committer tells it of each transaction that
// wrote records (committer::watch_records, posted from the writer thread to
// the uploader's io_context), and every wait is one timer on that context:
// idle, it sleeps until a commit, kick() or the next heartbeat; a batch that
// is not full waits for batch_delay from its oldest record (a commit wakes
// it early: the batch may be full, then it goes at once); a backoff waits its
// delay (commits do not shorten it, kick() does). Waiting for the clock is
// the one poll, once a second until the first synchronisation.
//
// Threads: start(), stop(), kick() and status() are called on the event
// loop; everything else, including the committer's notices, runs on the
// uploader's thread. status() reads a copy under a mutex.

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "store/committer.hpp"

namespace ravao::sync {

enum class sync_state {
  off,                // no [sync] url: records queue
  waiting_for_clock,  // no connection before the clock is synchronised
  idle,               // nothing to send
  uploading,
  retrying,           // backing off after a failure
};
std::string_view to_string(sync_state s);

struct sync_status {
  sync_state state = sync_state::off;
  std::string stream;
  std::int64_t depth = 0;  // records waiting for acknowledgement
  std::int64_t acked_seq = 0;
  std::int64_t last_seq = 0;
  std::int64_t dead_letters = 0;
  // Of the dead letters, those held because the server did not know their
  // type (an older receiver: docs/sync.md, "Held records"): sent again with
  // each heartbeat; an alarm naming `held_types` while any are held.
  std::int64_t held = 0;
  std::vector<std::string> held_types;
  std::optional<std::int64_t> oldest_unsent_wall_ms;
  std::optional<std::int64_t> last_success_wall_ms;
  std::string last_error;  // the most recent failure, in words; kept after recovery
  std::optional<std::int64_t> last_error_wall_ms;
  std::optional<std::int64_t> next_attempt_wall_ms;  // while retrying
  std::int64_t consecutive_failures = 0;
  std::int64_t records_sent = 0;  // acknowledged since start
  std::int64_t batches_sent = 0;
  std::int64_t duplicates = 0;  // of those, how many the server already had
  // Waits a commit notice ended (the store grew while the uploader was idle,
  // waiting for a batch to fill, or waiting for the clock): how new records
  // are found, never by polling.
  std::int64_t woken_by_commit = 0;
  // An alarm (HTTP 409): seqs the server holds with other content; the
  // stream is held (nothing past them acknowledged) until a batch with them
  // is stored. Empty: no conflict.
  std::vector<std::int64_t> conflict_seqs;
  std::optional<std::int64_t> conflict_wall_ms;  // the last 409
  std::optional<std::int64_t> last_heartbeat_wall_ms;
  std::int64_t store_bytes = 0;
  bool store_alarm = false;  // the store file is past [store] alarm_megabytes
  bool sealing = false;      // a provincial public key is configured
  std::string url;           // without secrets (the URL never carries any)
  boost::json::object to_json() const;
};

class uploader {
 public:
  struct hooks {
    // What the heartbeat says about the site's counters and devices; called
    // on the event loop (posted there and waited for).
    std::function<boost::json::object()> heartbeat_snapshot;
    // Posted to the event loop after each change of the status (the queue,
    // the state, an error, the store alarm): the daemon's STATUS= line shows
    // them, and needs no timer to notice.
    std::function<void()> status_changed;
  };

  uploader(const config& cfg, committer& c, boost::asio::any_io_executor loop, hooks h);
  uploader(const uploader&) = delete;
  uploader& operator=(const uploader&) = delete;
  ~uploader();

  // Checks the TLS settings (CA, client certificate) and starts the thread.
  result<void> start();
  // Ends the thread; an upload in flight is abandoned (sent again next time).
  void stop();
  // "ravaoctl sync now": try at once, forgetting the backoff and batch delay.
  void kick();
  sync_status status() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ravao::sync
