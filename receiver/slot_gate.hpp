#pragma once
// A counting semaphore for coroutines on one executor: at most `slots`
// holders at once; others wait in FIFO order, each until a slot is handed
// to it, its deadline passes or close() is called. The server uses two:
// TLS sessions at once (a waiting connection costs only its socket) and
// TLS handshakes at once (so that one I/O thread finishes each within its
// deadline in a reconnect storm: docs/receiver.md, "Connections").
//
// Thread: the owner's executor only (no locking). The gate must outlive
// every permit and every waiter; close() wakes every waiter empty-handed.

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace ravao::receiver {

class slot_gate {
 public:
  // One slot held; given back (to the first waiter, or to the gate) when destroyed. Move-only.
  class permit {
   public:
    permit() = default;
    explicit permit(slot_gate* g) : gate_(g) {}
    permit(permit&& o) noexcept : gate_(std::exchange(o.gate_, nullptr)) {}
    permit& operator=(permit&& o) noexcept {
      if (this != &o) {
        release();
        gate_ = std::exchange(o.gate_, nullptr);
      }
      return *this;
    }
    permit(const permit&) = delete;
    permit& operator=(const permit&) = delete;
    ~permit() { release(); }
    void release() {
      if (auto* g = std::exchange(gate_, nullptr)) g->give_back();
    }
    explicit operator bool() const { return gate_ != nullptr; }

   private:
    slot_gate* gate_ = nullptr;
  };

  slot_gate(boost::asio::any_io_executor ex, std::size_t slots) : ex_(std::move(ex)), free_(slots) {}
  slot_gate(const slot_gate&) = delete;
  slot_gate& operator=(const slot_gate&) = delete;

  // A slot, at once when one is free and nobody waits; else after waiting
  // (FIFO) until one is given back. nullopt when `deadline` passed first or
  // the gate was closed. `first`: ahead of the waiters that are not
  // (behind the earlier `first` ones).
  boost::asio::awaitable<std::optional<permit>> acquire(std::chrono::steady_clock::time_point deadline,
                                                        bool first = false);
  // Wakes every waiter without a slot; later acquire() calls fail at once.
  void close();

  std::size_t waiting() const { return waiters_.size(); }
  std::size_t free() const { return free_; }

 private:
  struct waiter {
    boost::asio::steady_timer wake;
    bool first = false;
    bool granted = false;
  };
  void give_back();

  boost::asio::any_io_executor ex_;
  std::size_t free_;
  bool closed_ = false;
  std::deque<waiter*> waiters_;  // each owned by its acquire() frame, removed before that frame ends
};

}  // namespace ravao::receiver
