#pragma once
// The committer owns the writing store on a thread of its own, so an fsync
// never stalls the event loop. Scans submitted while a transaction is being
// committed queue up and go into the next transaction together: group commit
// falls out of the design, the busier the counters the bigger the batches.
//
// Ownership and threads: submit()/expire()/update_settings() are called on
// the event loop; the writer thread is the only user of the store. Results go
// back to the loop through `on_committed`, posted to the executor given at
// construction. stop() drains what was submitted, commits it, and joins.
//
// A failed commit (disk full, I/O error) keeps the batch and retries it every
// retry_interval until it succeeds; nothing is acknowledged meanwhile. Past
// max_pending queued scans, new ones are refused (submit returns false) so
// memory stays bounded.

#include <boost/asio/any_io_executor.hpp>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "store/store.hpp"

namespace ravao {

struct committed_scan {
  scan_request request;
  scan_outcome outcome;
  std::chrono::steady_clock::time_point received;
};

struct commit_report {
  std::vector<committed_scan> scans;
  std::vector<rejection_request> rejections;
  int expired_closed = 0;
  store_totals totals;
  std::chrono::microseconds commit_time{0};
};

struct store_state {
  bool available = true;
  std::string last_error;  // empty while available
  std::size_t pending = 0;
};

class committer {
 public:
  using report_handler = std::function<void(commit_report)>;
  using failure_handler = std::function<void(const error&, std::size_t pending)>;

  // retention_days: local-only samples (rejected scans) older than this are
  // pruned at start and hourly with the expiry tick.
  committer(store_writer s, visits_config settings, int retention_days, boost::asio::any_io_executor loop,
            report_handler on_committed, failure_handler on_failure,
            std::size_t max_pending = 10'000,
            std::chrono::milliseconds retry_interval = std::chrono::milliseconds(1000));
  committer(const committer&) = delete;
  committer& operator=(const committer&) = delete;
  ~committer();

  bool submit(scan_request r, std::chrono::steady_clock::time_point received);
  void submit(rejection_request r);
  void expire(timestamp now);  // close visits past max duration / end of day
  void update_settings(visits_config settings);
  // Runs `work` on the writer thread with the writing store, after every scan
  // submitted before it has been committed (a slip printed right after a
  // scan sees that scan's visit). `work` reports its own outcome, by posting
  // to the loop; an exception it throws is caught and dropped (logged to stderr).
  void run_on_store(std::function<void(store_writer&)> work);

  // Commits everything submitted so far and ends the thread. Idempotent.
  void stop();

  store_state state() const;
  std::size_t pending() const;  // scans queued, not yet taken into a batch
  store_totals totals() const;

 private:
  void run();

  store_writer store_;
  boost::asio::any_io_executor loop_;
  report_handler on_committed_;
  failure_handler on_failure_;
  const std::size_t max_pending_;
  const std::chrono::milliseconds retry_interval_;
  const int retention_days_;
  std::int64_t last_prune_ns_ = 0;  // CLOCK_BOOTTIME of the last prune; writer thread only

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<committed_scan> scans_;
  std::vector<rejection_request> rejections_;
  std::optional<timestamp> expire_at_;
  std::vector<std::function<void(store_writer&)>> ops_;
  visits_config settings_;
  store_totals totals_;
  store_state state_;
  bool stopping_ = false;
  std::thread thread_;  // last member: started once everything else exists
};

}  // namespace ravao
