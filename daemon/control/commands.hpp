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
#include <map>
#include <span>
#include <string_view>

#include "config/config.hpp"
#include "control/peer_access.hpp"
#include "control/last_scans.hpp"
#include "control/web_registration.hpp"
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
    const control::last_scans& last_scans;  // last_scan
    control::web_registration& web;         // web.register; the command card prints it
  };
  explicit control_commands(services s) : s_(std::move(s)) {}

  // The answer to `request` ({"cmd": NAME, ...}) from `peer`; throws
  // std::exception to answer an error in words. Before the command runs,
  // the request's "actor" is resolved (docs/control.md, "Actor"): the one
  // given, checked, else unix_actor(peer); handlers read it with
  // arg_string(r, "actor") and put it on the records they write.
  boost::asio::awaitable<boost::json::value> handle(const boost::json::object& request, const control_peer& peer);

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
  // The counter console's commands (console_commands.cpp).
  boost::asio::awaitable<boost::json::value> last_scan(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> web_register(const boost::json::object& r);
  // Write commands (write_commands.cpp).
  boost::asio::awaitable<boost::json::value> slip_print(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> slip_reprint(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> slip_preview(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> card_print(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> printer_test(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> declare(const boost::json::object& r);
  // The counter console's commands (console_commands.cpp).
  boost::asio::awaitable<boost::json::value> visit_checkout(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> visit_undo(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> poster_print(const boost::json::object& r);
  boost::asio::awaitable<boost::json::value> summary(const boost::json::object& r);
  // Queues the visitor's printed copy of declaration `done` (its answers
  // held in memory only: print_service::hold_content); answers the job id.
  boost::asio::awaitable<std::int64_t> declaration_copy(declaration_request req, declared done,
                                                        boost::json::object answers);
  boost::asio::awaitable<boost::json::value> form(const boost::json::object& r);
  // Queues a card, test page or poster job with the action record of the
  // person who asked, wakes its printer, answers the job.
  boost::asio::awaitable<boost::json::value> add_job(job_request req, person_action by);

  // A configured counter by id, or std::invalid_argument in words.
  const counter_config& counter_arg(const std::string& id) const;

  services s_;
  // `summary`'s counts of days before today by date (console_commands.cpp):
  // read once, as they no longer change; the last 31 days at most.
  std::map<std::string, std::vector<day_summary>> summary_days_;
};

}  // namespace ravao
