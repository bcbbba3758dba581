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
//
// Work for the store from the loop (a slip for ravaoctl, a staff command) is
// an Asio asynchronous operation, async_run(): it owns the work by value,
// completes on the caller's executor, and knows when its caller gave up
// (the handler's cancellation slot): work not yet started is then never run.
//
// Readers on other threads that follow the record log (the uploader) are
// told when it grew, instead of polling: watch_records().

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

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
  // scan sees that scan's visit), and completes `token` with
  // (error_code, R) on the handler's associated executor (the loop's by
  // default).
  //
  // Ownership: the operation owns `work` and everything it captures until it
  // has run or been dropped; nothing of the caller's frame is referenced.
  // Cancellation (the handler's cancellation slot, any type): if the writer
  // has not started the work, it is never run and the operation completes
  // with operation_aborted (R default-constructed); once started, the
  // cancellation is ignored and the real result is delivered, so a caller is
  // never told "not done" for something that was done. After stop(), or when
  // the writer gives up on a failing store at stop, the operation completes
  // with operation_aborted without running. `work` throwing completes with
  // errc::store_unavailable (and logs store.op_failed).
  template <class R, class Token>
  auto async_run(std::move_only_function<R(store_writer&)> work, Token&& token);

  // Fire-and-forget form for callers on other threads (the uploader) and for
  // records nobody waits on: `work` reports its own outcome; an exception it
  // throws is logged as store.op_failed.
  void run_on_store(std::function<void(store_writer&)> work);

  // Tells `on_records` of every transaction that wrote records (scans, an
  // expiry pass, a slip, a staff command, a device event: anything that
  // moved the newest seq), posted to `ex` after the COMMIT with the newest
  // record's seq, so a reader opened on the same file sees them. Posts do
  // not pile up per record: one per writer pass at most. One watcher at a
  // time (the uploader); a new call replaces it, and watch_records({}, {})
  // ends it: once that returns nothing more is posted (posts already queued
  // on `ex` may still run: the watcher's executor decides). Any thread.
  using records_handler = std::function<void(std::int64_t last_seq)>;
  void watch_records(boost::asio::any_io_executor ex, records_handler on_records);

  // Commits everything submitted so far and ends the thread. Idempotent.
  void stop();

  store_state state() const;
  std::size_t pending() const;  // scans queued, not yet taken into a batch
  store_totals totals() const;

 private:
  // One unit of work queued for the writer thread. `run` runs the work
  // unless its caller gave up, and completes the caller; `abort` completes
  // it with operation_aborted without running (stop, store given up).
  struct queued_op {
    std::uint64_t after = 0;  // scans submitted before it: it runs once they are committed
    std::move_only_function<void(store_writer&)> run;
    std::move_only_function<void()> abort;
  };
  template <class R, class Handler>
  struct op_state;

  // False after stop(): the op was not queued.
  bool enqueue(queued_op op);
  void run();
  void run_ops(std::uint64_t committed);
  void abort_ops();
  void report_op_failure(std::string what);
  void tell_watcher(std::int64_t last_seq);

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
  std::deque<queued_op> ops_;
  std::uint64_t submitted_ = 0;  // scans ever accepted by submit()
  visits_config settings_;
  store_totals totals_;
  store_state state_;
  boost::asio::any_io_executor records_ex_;  // watch_records(); under mutex_
  records_handler on_records_;
  bool stopping_ = false;
  std::thread thread_;  // last member: started once everything else exists
};

// The shared state of one async_run operation: the work, the handler and
// who completes it. `stage_` decides the race between the writer starting
// the work and the caller cancelling: whoever moves it off `queued` first
// completes the handler (exactly once), always through a post to the
// handler's executor, where the cancellation slot is cleared first.
template <class R, class Handler>
struct committer::op_state : std::enable_shared_from_this<op_state<R, Handler>> {
  enum stage : int { queued, started, cancelled };
  using executor_type = boost::asio::associated_executor_t<Handler, boost::asio::any_io_executor>;

  op_state(std::move_only_function<R(store_writer&)> w, Handler h, const boost::asio::any_io_executor& fallback)
      : work(std::move(w)),
        handler(std::move(h)),
        work_guard(boost::asio::get_associated_executor(handler, fallback)) {}

  // Writer thread: false when the caller already gave up.
  bool start() {
    int expected = queued;
    return stage_.compare_exchange_strong(expected, started);
  }
  // Any thread; only the winner of the race calls it.
  void complete(boost::system::error_code ec, R value) {
    auto ex = work_guard.get_executor();
    boost::asio::post(ex, [self = this->shared_from_this(), ec, value = std::move(value)]() mutable {
      boost::asio::get_associated_cancellation_slot(self->handler).clear();
      auto h = std::move(self->handler);
      self->work_guard.reset();
      self->work = nullptr;
      std::move(h)(ec, std::move(value));
    });
  }
  void cancel() {
    int expected = queued;
    if (stage_.compare_exchange_strong(expected, cancelled))
      complete(boost::asio::error::operation_aborted, R{});
  }

  std::move_only_function<R(store_writer&)> work;
  Handler handler;
  boost::asio::executor_work_guard<executor_type> work_guard;  // keeps the caller's context running until done
  std::atomic<int> stage_{queued};
};

template <class R, class Token>
auto committer::async_run(std::move_only_function<R(store_writer&)> work, Token&& token) {
  static_assert(std::is_default_constructible_v<R> && std::is_move_constructible_v<R>,
                "async_run: R is delivered default-constructed when the work did not run");
  return boost::asio::async_initiate<Token, void(boost::system::error_code, R)>(
      [this](auto handler, std::move_only_function<R(store_writer&)> w) {
        using state_t = op_state<R, std::decay_t<decltype(handler)>>;
        auto st = std::make_shared<state_t>(std::move(w), std::move(handler), loop_);
        auto slot = boost::asio::get_associated_cancellation_slot(st->handler);
        if (slot.is_connected())
          slot.assign([weak = std::weak_ptr<state_t>(st)](boost::asio::cancellation_type) {
            if (auto s = weak.lock()) s->cancel();
          });
        queued_op op;
        op.run = [this, st](store_writer& s) {
          if (!st->start()) return;  // the caller gave up first: never run
          try {
            st->complete({}, st->work(s));
          } catch (const std::exception& ex) {
            report_op_failure(ex.what());
            st->complete(boost::system::error_code(make_error_code(errc::store_unavailable)), R{});
          }
        };
        op.abort = [st] { st->cancel(); };
        if (!enqueue(std::move(op))) st->cancel();
      },
      token, std::move(work));
}

}  // namespace ravao
