#pragma once
// The control API's commands (docs/control.md): one table maps each command
// name to its handler, a coroutine answering one request; the "unknown
// command" message lists the table. Read commands answer from the
// read-only store and the services' state; write commands (slips, cards,
// test pages, declarations) await the committer with control::store_call's
// deadline.
//
// Loop thread only. Owned by app, which gives it references to the
// configuration and the services (they outlive it); the control server
// calls handle() for each request.

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <span>
#include <string_view>

#include "config/config.hpp"
#include "counter_service.hpp"
#include "print_service.hpp"
#include "store/committer.hpp"
#include "sync_service.hpp"
#include "usb_access.hpp"

namespace ravao {

class control_commands {
 public:
  struct services {
    const config& cfg;
    committer& writer;
    const store_reader& reader;
    const counter_service& counters;
    print_service& printing;
    sync_service& sync;
    const usb_access& usb;
    std::function<boost::json::value()> status;  // `ravaoctl status`: the daemon's own view (app_status.cpp)
  };
  explicit control_commands(services s) : s_(std::move(s)) {}

  // The answer to `request` ({"cmd": NAME, ...}); throws std::exception to
  // answer an error in words.
  boost::asio::awaitable<boost::json::value> handle(const boost::json::object& request);

 private:
  using handler = boost::asio::awaitable<boost::json::value> (control_commands::*)(const boost::json::object&);
  struct command {
    std::string_view name;
    handler run;
  };
  static std::span<const command> table();

  // Read commands (read_commands.cpp).
  boost::asio::awaitable<boost::json::value> status(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> counters(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> visits(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> events(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> devices(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> ping(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> jobs(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> sync(const boost::json::object& r);
  // Write commands (write_commands.cpp).
  boost::asio::awaitable<boost::json::value> slip_print(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> slip_reprint(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> slip_preview(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> card_print(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> printer_test(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> declare(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> form(const boost::json::object& r);
  // Queues a card or test page job, wakes its printer, answers the job.
  boost::asio::awaitable<boost::json::value> add_job(job_request req);

  // A configured counter by id, or std::invalid_argument in words.
  const counter_config& counter_arg(const std::string& id) const;

  services s_;
};

}  // namespace ravao
