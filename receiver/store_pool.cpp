#include "receiver/store_pool.hpp"

#include <boost/asio/post.hpp>

namespace ravao::receiver {

store_pool::store_pool(std::vector<std::unique_ptr<store>> stores, std::size_t queue)
    : stores_(std::move(stores)), capacity_(stores_.size() + queue), threads_(stores_.size()) {
  for (auto& s : stores_) free_.push_back(s.get());
}

store_pool::~store_pool() { threads_.join(); }

bool store_pool::admit(std::atomic<std::size_t>& pending) {
  auto n = pending.load();
  do {
    if (n >= capacity_) return false;
  } while (!pending.compare_exchange_weak(n, n + 1));
  return true;
}

bool store_pool::post(std::function<void(store&)> job) {
  if (!admit(posted_)) return false;
  boost::asio::post(threads_, [this, job = std::move(job)] {
    lease l(*this, &posted_);
    job(l.get());
  });
  return true;
}

store_pool::lease::lease(store_pool& p, std::atomic<std::size_t>* pending) : pool_(p), pending_(pending) {
  std::lock_guard lock(pool_.free_mutex_);
  s_ = pool_.free_.back();  // one store per thread: never empty here
  pool_.free_.pop_back();
}

store_pool::lease::~lease() {
  {
    std::lock_guard lock(pool_.free_mutex_);
    pool_.free_.push_back(s_);
  }
  if (pending_) pending_->fetch_sub(1);
}

void store_pool::enqueue(pending_batch job, std::function<void(std::optional<result<ingest_result>>)> done) {
  {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back({std::move(job), std::move(done)});
  }
  // One task per batch: a thread that finds the queue emptied by another's group has nothing to do.
  boost::asio::post(threads_, [this] { store_group(); });
}

void store_pool::store_group() {
  std::vector<queued_batch> taken;
  {
    std::lock_guard lock(queue_mutex_);
    std::size_t records = 0;
    while (!queue_.empty() && (taken.empty() || records + queue_.front().job.b->records.size() <= group_records)) {
      records += queue_.front().job.b->records.size();
      taken.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  if (taken.empty()) return;
  std::vector<pending_batch> group;
  group.reserve(taken.size());
  for (const auto& t : taken) group.push_back(t.job);
  std::vector<result<ingest_result>> stored;
  {
    lease l(*this, nullptr);
    stored = l.get().store_batches(group);
  }
  for (std::size_t i = 0; i < taken.size(); ++i) {
    pending_.fetch_sub(1);
    taken[i].done(std::move(stored[i]));
  }
}

}  // namespace ravao::receiver
