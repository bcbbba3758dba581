#include "receiver/slot_gate.hpp"

#include <algorithm>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ravao::receiver {
namespace asio = boost::asio;

asio::awaitable<std::optional<slot_gate::permit>> slot_gate::acquire(std::chrono::steady_clock::time_point deadline,
                                                                    bool first) {
  if (closed_) co_return std::nullopt;
  if (free_ > 0 && waiters_.empty()) {
    --free_;
    co_return permit(this);
  }
  waiter w{asio::steady_timer(ex_, deadline), first};
  if (first) {
    // Behind the other `first` waiters, ahead of the rest.
    const auto at = std::find_if(waiters_.begin(), waiters_.end(), [](const waiter* o) { return !o->first; });
    waiters_.insert(at, &w);
  } else {
    waiters_.push_back(&w);
  }
  boost::system::error_code ec;
  // Woken by give_back() (granted) or close() (cancelled), or the deadline.
  // `granted` decides, not `ec`: a slot handed over just as the deadline
  // fired is still this waiter's.
  co_await w.wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (w.granted) co_return permit(this);
  std::erase(waiters_, &w);
  co_return std::nullopt;
}

// The slot goes straight to the first waiter (its count never returns to
// the gate), so a newcomer cannot overtake the queue.
void slot_gate::give_back() {
  if (!waiters_.empty() && !closed_) {
    waiter* w = waiters_.front();
    waiters_.pop_front();
    w->granted = true;
    w->wake.cancel();
    return;
  }
  ++free_;
}

void slot_gate::close() {
  closed_ = true;
  for (auto* w : waiters_) w->wake.cancel();
}

}  // namespace ravao::receiver
