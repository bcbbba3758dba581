#pragma once
// The receiver's database work, off the network thread: N threads, each
// with its own store (its own connection), and a bounded number of jobs
// waiting for them. When every thread is busy and the queue is full, a job
// is not admitted: the server answers 503 with Retry-After instead of
// holding more request bodies in memory (docs/receiver.md, "Backpressure").
//
// Threads: submit() and post() are called on the server's I/O thread; a job
// runs on one of the pool's threads with a store no other thread holds; its
// result is delivered back on the caller's executor. The destructor joins the
// threads: a transaction under way is finished first.

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
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
    lease(store_pool& p, std::atomic<std::size_t>& pending);
    ~lease();
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    store& get() { return *s_; }

   private:
    store_pool& pool_;
    std::atomic<std::size_t>& pending_;  // decremented at the end
    store* s_;
  };

  template <class R>
  static boost::asio::awaitable<R> run(store_pool* pool, std::function<R(store&)> job) {
    lease l(*pool, pool->pending_);
    co_return job(l.get());
  }
  bool admit(std::atomic<std::size_t>& pending);

  std::vector<std::unique_ptr<store>> stores_;
  std::mutex free_mutex_;
  std::vector<store*> free_;  // as many as idle threads: a job always finds one
  std::size_t capacity_;
  std::atomic<std::size_t> pending_{0};
  std::atomic<std::size_t> posted_{0};
  boost::asio::thread_pool threads_;  // last: joined first
};

}  // namespace ravao::receiver
