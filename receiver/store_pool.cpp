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
    lease l(*this, posted_);
    job(l.get());
  });
  return true;
}

store_pool::lease::lease(store_pool& p, std::atomic<std::size_t>& pending) : pool_(p), pending_(pending) {
  std::lock_guard lock(pool_.free_mutex_);
  s_ = pool_.free_.back();  // one store per thread: never empty here
  pool_.free_.pop_back();
}

store_pool::lease::~lease() {
  {
    std::lock_guard lock(pool_.free_mutex_);
    pool_.free_.push_back(s_);
  }
  pending_.fetch_sub(1);
}

}  // namespace ravao::receiver
