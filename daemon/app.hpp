#pragma once
// ravaod's wiring: it opens the store, builds the services and connects
// them, and runs the daemon's life cycle (signals, reload, shutdown,
// systemd notifications and STATUS=). The services do the work:
//   counter_service   scanners -> frames -> classify -> committer (counter_service.hpp)
//   print_service     printers and their print queues (print_service.hpp)
//   scanned_commands  staff commands scanned at a counter (scanned_commands.hpp)
//   sync_service      the uploader, heartbeat and sync alarms (sync_service.hpp)
//   control_commands  the control API's command table (control/commands.hpp)
//   subscriptions     the control API's event streams (control/subscriptions.hpp)
//
// Threads and ownership: everything here runs on the one io_context thread
// except the committer's writer thread (which talks back only by posting to
// this executor) and the uploader's. app owns every service; a service gets
// the executor and references to what it needs through its constructor and
// never reaches app, except through the `on_change` callback that asks for
// a new STATUS= line.

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <optional>

#include "config/config.hpp"
#include "control/commands.hpp"
#include "control/last_scans.hpp"
#include "control/server.hpp"
#include "control/subscriptions.hpp"
#include "control/web_registration.hpp"
#include "counter_service.hpp"
#include "print_service.hpp"
#include "scanned_commands.hpp"
#include "store/committer.hpp"
#include "sync_service.hpp"
#include "usb_access.hpp"

namespace ravao {

class app {
 public:
  app(boost::asio::io_context& io, config cfg);
  ~app();

  // Opens the store, starts devices and the control socket, then READY=1.
  result<void> start();

  // 0 after a clean stop; 1 when scans could not be saved or the store broke
  // while running (systemd's Restart=on-failure then starts us again, and
  // start-up moves a corrupt store aside).
  int exit_code() const { return exit_code_; }

  // A supervised task cannot go on (common/supervise.hpp, the fatal
  // handler): the same clean stop as SIGTERM, then exit code 1 so systemd's
  // Restart=on-failure starts the daemon again. Any thread (the uploader
  // runs on its own): the stop is posted to the loop.
  void stop_failed(std::string why);

 private:
  void on_committed(commit_report report);
  void on_store_failure(const error& e, std::size_t pending);
  // A service's state changed: STATUS= and the subscribers' device events.
  void services_changed();

  void wait_signals();
  void reload();  // reload.cpp
  void shutdown(std::string_view why);
  void schedule_expiry();
  void schedule_seal_wipe();
  void schedule_watchdog(std::chrono::microseconds interval);

  // Status (app_status.cpp).
  void status_changed();
  std::string status_line() const;
  boost::json::value status_json() const;
  std::vector<status_alarm> alarms() const;
  // Printers' alarms; reported_only: only those of connected printers that
  // report a stop (paper out, cover open, ...), which STATUS= lists.
  std::vector<status_alarm> printer_alarms(bool reported_only) const;
  // Scanners and printers: (online, total).
  std::pair<std::size_t, std::size_t> devices_online() const;

  boost::asio::io_context& io_;
  config cfg_;  // replaced in place by a reload: the services hold references to it
  // Declared before the services: destroyed after them (it must outlive its clients).
  usb_access usb_;
  // [sync] public_key set: seals records (common/seal_window.hpp), shared by
  // the counters (loop) and the store (writer thread).
  std::shared_ptr<seal::window_sealer> sealer_;
  std::unique_ptr<committer> committer_;  // owns the writing store (writer thread)
  std::optional<store_reader> reader_;            // read-only connection for ravaoctl and the print queues
  std::unique_ptr<counter_service> counters_;
  std::unique_ptr<print_service> printing_;
  std::unique_ptr<scanned_commands> scanned_commands_;
  std::unique_ptr<sync_service> sync_;  // stopped before the committer
  std::unique_ptr<control_commands> commands_;
  // Destroyed before the services and the store it reads.
  std::unique_ptr<control::subscriptions> subscriptions_;
  // The clear fields of each counter's last identity scan (docs/privacy.md),
  // and where the counter console is: memory only.
  control::last_scans last_scans_;
  control::web_registration web_;
  control_server control_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer expiry_timer_;
  boost::asio::steady_timer seal_wipe_timer_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer status_timer_;
  std::string last_status_;
  bool status_pending_ = false;
  bool store_available_ = true;
  bool store_recovered_ = false;  // a corrupt store was moved aside at this start
  bool stopping_ = false;
  std::string last_reload_;  // outcome of the last SIGHUP, for status
  std::int64_t started_ms_ = 0;
  int exit_code_ = 0;
};

}  // namespace ravao
