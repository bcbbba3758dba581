#pragma once
// The receiver's database work, off the network thread: N threads, each
// with its own store (its own connection), and a bounded number of jobs
// waiting for them. When every thread is busy and the queue is full, a job
// is not admitted: the server answers 503 with Retry-After instead of
// holding more request bodies in memory (docs/receiver.md, "Backpressure").
//
// Batches are group-committed (store_batch): they wait in one queue, and
// the first free thread takes every batch waiting then (up to
// group_records records) and stores them with store::store_batches, in one
// transaction where the engine can. Under load many requests share a
// commit; alone, a batch is stored at once, as before.
//
// Threads: submit() and post() are called on the server's I/O thread; a job
// runs on one of the pool's threads with a store no other thread holds; its
// result is delivered back on the caller's executor. The destructor joins the
// threads: a transaction under way is finished first.

#include <atomic>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "receiver/store.hpp"

namespace ravao::receiver {

class store_pool {
 public:
  // One thread per store; `queue`: jobs admitted beyond those running.
  store_pool(std::vector<std::unique_ptr<store>> stores, std::size_t queue);
  ~store_pool();
  store_pool(const store_pool&) = delete;
  store_pool& operator=(const store_pool&) = delete;

  // Runs `job` on a pool thread and returns its result; nullopt, at once,
  // when the pool is full.
  template <class R>
  boost::asio::awaitable<std::optional<R>> submit(std::function<R(store&)> job) {
    if (!admit(pending_)) co_return std::nullopt;
    co_return co_await boost::asio::co_spawn(threads_, run<R>(this, std::move(job)), boost::asio::use_awaitable);
  }
  // Stores `b` (received at `received_ms`) in a group with the batches
  // waiting at that moment; its own outcome. nullopt, at once, when the
  // pool is full (the same count as submit()).
  // Not a coroutine itself: the awaitable comes straight from async_initiate.
  boost::asio::awaitable<std::optional<result<ingest_result>>> store_batch(std::shared_ptr<const batch> b,
                                                                           std::int64_t received_ms) {
    using outcome = std::optional<result<ingest_result>>;
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(outcome)>(
        [this, job = pending_batch{std::move(b), received_ms}](auto handler) mutable {
          // The awaiting coroutine's handler, moved out, called and
          // destroyed on its own executor (the I/O thread), never on the
          // pool thread that stored the batch (which keeps only an empty shell).
          auto h = std::make_shared<decltype(handler)>(std::move(handler));
          auto done = [h](outcome r) {
            auto ex = boost::asio::get_associated_executor(*h);
            boost::asio::post(ex, [h, r = std::move(r)]() mutable {
              auto resume = std::move(*h);
              resume(std::move(r));
            });
          };
          if (!admit(pending_)) return done(std::nullopt);
          enqueue(std::move(job), std::move(done));
        },
        boost::asio::use_awaitable);
  }
  // Records one group takes at most (five of ravaod's largest batches).
  static constexpr std::size_t group_records = 10'000;

  // Runs `job` on a pool thread, nobody waiting; false (and not run) when
  // as many posted jobs are pending as the pool's capacity. Posted jobs have
  // their own count: they never make submit() refuse a request.
  bool post(std::function<void(store&)> job);

  // Jobs admitted and not finished (running or waiting).
  std::size_t pending() const { return pending_.load(); }
  std::size_t capacity() const { return capacity_; }

 private:
  // A store taken from the free list for one job, given back at the end.
  class lease {
   public:
    // `pending`: decremented at the end (nullptr: counted by the caller).
    lease(store_pool& p, std::atomic<std::size_t>* pending);
    ~lease();
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    store& get() { return *s_; }

   private:
    store_pool& pool_;
    std::atomic<std::size_t>* pending_;
    store* s_;
  };

  template <class R>
  static boost::asio::awaitable<R> run(store_pool* pool, std::function<R(store&)> job) {
    lease l(*pool, &pool->pending_);
    co_return job(l.get());
  }
  bool admit(std::atomic<std::size_t>& pending);
  struct queued_batch {
    pending_batch job;
    std::function<void(std::optional<result<ingest_result>>)> done;  // posts the outcome to the awaiting coroutine
  };
  void enqueue(pending_batch job, std::function<void(std::optional<result<ingest_result>>)> done);
  // On a pool thread: every batch waiting (up to group_records records), stored as one group.
  void store_group();

  std::mutex queue_mutex_;
  std::deque<queued_batch> queue_;  // admitted batches not yet taken by a thread

  std::vector<std::unique_ptr<store>> stores_;
  std::mutex free_mutex_;
  std::vector<store*> free_;  // as many as idle threads: a job always finds one
  std::size_t capacity_;
  std::atomic<std::size_t> pending_{0};
  std::atomic<std::size_t> posted_{0};
  boost::asio::thread_pool threads_;  // last: joined first
};

}  // namespace ravao::receiver
