#pragma once
// `subscribe` (docs/control.md): control connections that, once subscribed,
// take no more requests and receive one JSON line per event, pushed by the
// daemon: every committed record (as one element of `events`), every change
// of a scanner's or printer's state or of a printer's paper (as one element
// of `devices`), and a heartbeat every 15 s. The counter console
// (ravao-web) relays them to the browser.
//
// Where the events come from: app tells records_committed() the newest seq
// of each commit report (posted to the loop after the COMMIT, so the
// read-only store sees the records), and devices_changed() whenever a
// service says its state changed; the records are read back from the store
// and the devices' state compared with what was last pushed, so nothing is
// pushed twice and nothing is copied out of the services' own paths.
//
// Loop thread only. Owned by app, which outlives the loop's run; holds
// references to the configuration, the read-only store and the services,
// which outlive it. Each subscriber's connection is owned by its entry here
// (and by the reader and writer in flight on it): a client that closes, a
// write that fails, more than max_unsent bytes waiting unsent (a stuck
// client must not grow the daemon), and stop() close it. No handler does
// anything after stop().

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "counter_service.hpp"
#include "print_service.hpp"
#include "store/store_reader.hpp"
#include "usb_access.hpp"

namespace ravao::control {

class subscriptions {
 public:
  struct sources {
    const config& cfg;
    const store_reader& reader;
    const counter_service& counters;
    const print_service& printing;
    const usb_access& usb;
  };
  using socket = boost::asio::local::stream_protocol::socket;

  static constexpr std::size_t max_subscribers = 64;
  static constexpr std::size_t max_unsent = 1024 * 1024;

  // last_seq: the newest record committed so far; records after it are pushed.
  subscriptions(boost::asio::any_io_executor ex, sources s, std::int64_t last_seq,
                std::chrono::milliseconds heartbeat = std::chrono::seconds(15));
  subscriptions(const subscriptions&) = delete;
  subscriptions& operator=(const subscriptions&) = delete;

  // The control server's taker for "subscribe" (control_server::add_stream):
  // answers {"subscribed":true,"last_seq":N} on `sock` and streams from then
  // on. Throws std::invalid_argument (unknown counter) or std::runtime_error
  // (max_subscribers reached) to refuse.
  void subscribe(const boost::json::object& request, std::shared_ptr<socket> sock);

  // The store's newest record is now `last_seq`: pushes the records after
  // the last one pushed.
  void records_committed(std::int64_t last_seq);
  // A device may have changed: pushes the devices whose state, paper or
  // reason differ from what was last pushed.
  void devices_changed();
  // Closes every subscriber; nothing is pushed after it.
  void stop();

  std::size_t size() const { return subscribers_.size(); }

 private:
  struct subscriber {
    std::shared_ptr<socket> sock;
    std::string counter;  // empty: every counter
    std::deque<std::string> unsent;  // lines; the front one is being written while `writing`
    std::size_t unsent_bytes = 0;
    bool writing = false;
    bool closed = false;
  };
  using subscriber_ptr = std::shared_ptr<subscriber>;

  void send(const subscriber_ptr& s, std::string line);
  void write_next(const subscriber_ptr& s);
  void close(subscriber_ptr s, std::string_view why);
  // Sends `line` to the subscribers of every counter and of those in `counters`.
  void publish(const std::vector<std::string>& counters, const std::string& line);
  boost::asio::awaitable<void> watch_close(subscriber_ptr s);
  void arm_heartbeat();

  boost::asio::any_io_executor ex_;
  sources src_;
  std::int64_t sent_seq_;  // the newest record pushed (or passed while nobody listened)
  std::chrono::milliseconds heartbeat_;
  boost::asio::steady_timer heartbeat_timer_;
  bool heartbeat_armed_ = false;
  std::vector<subscriber_ptr> subscribers_;
  std::map<std::string, std::string> device_seen_;  // "scanner COUNTER" / "printer ID" -> what was last pushed
  bool stopped_ = false;
};

}  // namespace ravao::control
