#include "store/committer.hpp"

#include <boost/asio/post.hpp>

#include "common/log.hpp"

namespace ravao {
namespace {

// The store reports failures as values; an exception escaping it (a bug, or
// std::bad_alloc) must not terminate the writer thread with scans queued.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& ex) {
    return fail(errc::store_unavailable, std::string("store failure: ") + ex.what());
  }
}

}  // namespace

committer::committer(store_writer s, visits_config settings, int retention_days, boost::asio::any_io_executor loop,
                     report_handler on_committed, failure_handler on_failure, std::size_t max_pending,
                     std::chrono::milliseconds retry_interval)
    : store_(std::move(s)),
      loop_(std::move(loop)),
      on_committed_(std::move(on_committed)),
      on_failure_(std::move(on_failure)),
      max_pending_(max_pending),
      retry_interval_(retry_interval),
      retention_days_(retention_days),
      settings_(settings),
      totals_(store_.totals()),
      thread_([this] { run(); }) {}

committer::~committer() { stop(); }

bool committer::submit(scan_request r, std::chrono::steady_clock::time_point received) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || scans_.size() >= max_pending_) return false;
    scans_.push_back(committed_scan{std::move(r), {}, received});
    ++submitted_;
  }
  wake_.notify_one();
  return true;
}

void committer::submit(rejection_request r) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || rejections_.size() >= max_pending_) return;
    rejections_.push_back(std::move(r));
  }
  wake_.notify_one();
}

void committer::expire(timestamp now) {
  {
    std::lock_guard lock(mutex_);
    expire_at_ = now;
  }
  wake_.notify_one();
}

bool committer::enqueue(queued_op op) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return false;
    op.after = submitted_;
    ops_.push_back(std::move(op));
  }
  wake_.notify_one();
  return true;
}

void committer::run_on_store(std::function<void(store_writer&)> work) {
  queued_op op;
  op.run = [this, work = std::move(work)](store_writer& s) {
    try {
      work(s);
    } catch (const std::exception& ex) {
      report_op_failure(ex.what());
    }
  };
  op.abort = [] {};
  enqueue(std::move(op));
}

void committer::watch_records(boost::asio::any_io_executor ex, records_handler on_records) {
  std::lock_guard lock(mutex_);
  records_ex_ = std::move(ex);
  on_records_ = std::move(on_records);
}

// Writer thread. Posting under the lock is what makes watch_records({}, {})
// final: the watcher's executor is never posted to after it returned.
void committer::tell_watcher(std::int64_t last_seq) {
  std::lock_guard lock(mutex_);
  if (on_records_) boost::asio::post(records_ex_, [h = on_records_, last_seq] { h(last_seq); });
}

void committer::report_op_failure(std::string what) {
  // The writer thread does not log; the loop does, in order with the rest.
  boost::asio::post(loop_, [what = std::move(what)] {
    log::error("store.op_failed", "a store operation failed with an exception; it was not done",
               {{"error", what}});
  });
}

// Writer thread. Runs, in order, the ops whose scans are all committed; an
// op queued behind scans still waiting stops the pass (order is kept).
void committer::run_ops(std::uint64_t committed) {
  while (true) {
    queued_op op;
    {
      std::lock_guard lock(mutex_);
      if (ops_.empty() || ops_.front().after > committed) return;
      op = std::move(ops_.front());
      ops_.pop_front();
    }
    op.run(store_);
  }
}

// Writer thread, on its way out: what is still queued is never run.
void committer::abort_ops() {
  std::deque<queued_op> ops;
  {
    std::lock_guard lock(mutex_);
    ops.swap(ops_);
  }
  for (auto& op : ops) op.abort();
}

void committer::update_settings(visits_config settings) {
  std::lock_guard lock(mutex_);
  settings_ = settings;
}

void committer::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

store_state committer::state() const {
  std::lock_guard lock(mutex_);
  auto s = state_;
  s.pending = scans_.size();
  return s;
}

std::size_t committer::pending() const {
  std::lock_guard lock(mutex_);
  return scans_.size();
}

store_totals committer::totals() const {
  std::lock_guard lock(mutex_);
  return totals_;
}

void committer::run() {
  // Batch under construction; survives failed commits so nothing is lost.
  std::vector<committed_scan> batch;
  std::vector<rejection_request> rejections;
  constexpr std::size_t max_batch = 2048;
  bool failing = false;
  std::uint64_t committed = 0;  // scans committed so far: ops queued after them may run
  std::int64_t told_seq = store_.totals().last_seq;  // the newest record the watcher was told of

  while (true) {
    std::optional<timestamp> expire_at;
    visits_config settings;
    {
      std::unique_lock lock(mutex_);
      if (failing) {
        wake_.wait_for(lock, retry_interval_, [&] { return stopping_; });
      } else {
        wake_.wait(lock, [&] {
          return stopping_ || !scans_.empty() || !rejections_.empty() || expire_at_ || !ops_.empty();
        });
      }
      while (batch.size() < max_batch && !scans_.empty()) {
        batch.push_back(std::move(scans_.front()));
        scans_.pop_front();
      }
      for (auto& r : rejections_) rejections.push_back(std::move(r));
      rejections_.clear();
      expire_at.swap(expire_at_);
      settings = settings_;
      if (batch.empty() && rejections.empty() && !expire_at && ops_.empty() && stopping_) return;
      // A store that keeps failing while we are asked to stop: give up on the
      // batch (it was never acknowledged) rather than hang shutdown.
      if (failing && stopping_) {
        lock.unlock();
        abort_ops();
        return;
      }
    }

    commit_report report;
    if (!batch.empty() || !rejections.empty()) {
      std::vector<scan_request> requests;
      requests.reserve(batch.size());
      for (auto& s : batch) requests.push_back(s.request);
      const auto t0 = std::chrono::steady_clock::now();
      auto out = guarded([&] { return store_.apply(requests, rejections, settings); });
      if (!out) {
        failing = true;
        const std::size_t pending = batch.size() + state().pending;
        {
          std::lock_guard lock(mutex_);
          state_.available = false;
          state_.last_error = out.error().message();
        }
        boost::asio::post(loop_, [h = on_failure_, e = out.error(), pending] { h(e, pending); });
        if (expire_at) {
          std::lock_guard lock(mutex_);
          if (!expire_at_) expire_at_ = expire_at;
        }
        continue;
      }
      report.commit_time =
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
      for (std::size_t i = 0; i < batch.size(); ++i) batch[i].outcome = (*out)[i];
      committed += batch.size();
      report.scans = std::move(batch);
      report.rejections = std::move(rejections);
      batch.clear();
      rejections.clear();
    }
    if (expire_at) {
      auto closed = guarded([&] { return store_.close_expired(*expire_at, settings); });
      // What is no longer needed of a person goes with the same tick (no wake-up of its own).
      if (closed) closed = guarded([&]() -> result<int> {
        auto f = store_.forget(*expire_at, settings);
        if (!f) return std::unexpected(f.error());
        return *closed;
      });
      if (last_prune_ns_ == 0 || expire_at->boottime_ns - last_prune_ns_ > 3'600'000'000'000) {
        if (guarded([&] { return store_.prune(*expire_at, retention_days_); })) last_prune_ns_ = expire_at->boottime_ns;
      }
      if (closed) report.expired_closed = *closed;
      else {
        std::lock_guard lock(mutex_);
        if (!expire_at_) expire_at_ = expire_at;  // retried with the next wake-up
      }
    }
    failing = false;
    run_ops(committed);
    report.totals = store_.totals();
    {
      std::lock_guard lock(mutex_);
      state_.available = true;
      state_.last_error.clear();
      totals_ = report.totals;
    }
    // After totals_: a watcher told of a record sees it in totals() too.
    if (report.totals.last_seq != told_seq) {
      told_seq = report.totals.last_seq;
      tell_watcher(told_seq);
    }
    boost::asio::post(loop_, [h = on_committed_, r = std::move(report)]() mutable { h(std::move(r)); });
  }
}

}  // namespace ravao
