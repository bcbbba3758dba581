#pragma once
// ravaod's wiring: configuration, the store and its committer, the counters'
// scanner sources, the control socket, signals and systemd notifications.
// Data flows one way: scanner source -> frame -> sanitize -> classify ->
// committer (durable records) -> acknowledgement log and status.
//
// Everything here runs on the one io_context thread except the committer's
// writer thread, which talks back only by posting to this executor.

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <map>
#include <memory>
#include <optional>

#include "config/config.hpp"
#include "control/server.hpp"
#include "drivers/printer_transport.hpp"
#include "drivers/scanner_source.hpp"
#include "drivers/usb/usb_bus.hpp"
#include "print/printer_worker.hpp"
#include "store/committer.hpp"
#include "sync/uploader.hpp"

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

 private:
  struct counter_runtime {
    counter_config cfg;
    scanner_config scanner;
    std::shared_ptr<scanner_source> source;
    device_state state = device_state::starting;
    std::string reason;
    std::int64_t state_since_ms = 0;
    std::string last_event;
    std::uint64_t frames = 0;
    bool was_lost = false;  // went offline after being online: its return is a device record too
  };

  // A configured printer, its transport and its print queue, opened,
  // watched and shown in `ravaoctl devices`.
  struct printer_runtime {
    printer_config cfg;
    std::shared_ptr<printer_transport> transport;
    std::shared_ptr<print::printer_worker> worker;  // its print queue; null without transport or fonts
    device_state state = device_state::starting;
    std::string reason;
    std::int64_t state_since_ms = 0;
    std::string last_event;
    bool was_lost = false;
  };

  // The USB bus, opened at the first USB device in the configuration.
  driver_context drivers();
  bool needs_usb(const config& c) const;
  void start_printer(const printer_config& p);
  void stop_printer(printer_runtime& rt);
  void on_printer_state(const std::string& printer_id, device_state s, std::string_view reason);
  // Slips and print jobs (app_print.cpp).
  std::shared_ptr<slip::fonts> fonts();
  void start_worker(printer_runtime& rt);
  void on_command(const committed_scan& s);
  std::string slip_content_json(const counter_config& c, const timestamp& at) const;
  slip_request slip_request_for(const counter_config& c, const printer_config& p, const timestamp& at) const;
  job_request test_page_job(const counter_config& c, const printer_config& p, const timestamp& at) const;
  // The printer of a counter, or an error in words.
  result<const printer_config*> printer_of(const counter_config& c) const;
  void wake_printer(const std::string& printer_id);
  void log_job(const std::string& printer_id, const print_job_row& job, std::string_view outcome,
               std::string_view detail);
  // Runs `work` on the store's writer thread and waits for it (bounded):
  // for ravaoctl requests, whose answer needs the write committed.
  template <class T>
  T on_store_wait(std::function<T(store_writer&)> work);
  boost::json::value slip_print_json(const boost::json::object& request);
  boost::json::value slip_reprint_json(const boost::json::object& request);
  boost::json::value slip_preview_json(const boost::json::object& request);
  boost::json::value card_print_json(const boost::json::object& request);
  boost::json::value printer_test_json(const boost::json::object& request);
  boost::json::value jobs_json(const boost::json::object& request) const;
  boost::json::value declare_json(const boost::json::object& request);
  void on_scanner_notice(const std::string& counter_id, std::string_view event, std::string_view message);
  void start_counter(const counter_config& c);
  void stop_counter(counter_runtime& rt);
  void on_frame(const std::string& counter_id, std::string_view raw);
  void on_overflow(const std::string& counter_id, std::size_t discarded, std::string_view head);
  void on_scanner_state(const std::string& counter_id, device_state s, std::string_view reason);
  void on_committed(commit_report report);
  void on_store_failure(const error& e, std::size_t pending);

  // Sync (app_sync.cpp).
  result<void> start_uploader();
  void stop_uploader();
  void schedule_sync_status();
  boost::json::object heartbeat_snapshot() const;
  void record_device_event(const std::string& device_id, std::string event);
  std::vector<std::string> sync_alarms() const;
  boost::json::value sync_json(const boost::json::object& request);

  void wait_signals();
  void reload();
  void shutdown(std::string_view why);
  void schedule_expiry();
  void schedule_watchdog(std::chrono::microseconds interval);
  void status_changed();
  std::string status_line() const;
  // Scanners and printers: (online, total).
  std::pair<std::size_t, std::size_t> devices_online() const;

  boost::json::value handle_control(const boost::json::object& request);
  boost::json::value status_json() const;
  boost::json::value counters_json() const;
  boost::json::value visits_json(const boost::json::object& request) const;
  boost::json::value events_json(const boost::json::object& request) const;
  boost::json::value devices_json() const;

  boost::asio::io_context& io_;
  config cfg_;
  std::unique_ptr<committer> committer_;     // owns the writing store (writer thread)
  std::optional<store_reader> reader_;               // read-only connection for ravaoctl
  std::optional<seal::public_key> province_key_;  // [sync] public_key: scans are sealed on the loop
  std::unique_ptr<sync::uploader> uploader_;  // its own thread; stopped before the committer
  std::string sync_unavailable_;  // why the uploader could not start (e.g. an unreadable key); empty: it runs
  // Declared before the devices: destroyed after them (it must outlive its clients).
  std::unique_ptr<usb::usb_bus> usb_;
  std::string usb_error_;  // why the bus could not be opened
  bool usb_tried_ = false;
  std::map<std::string, counter_runtime> counters_;
  std::map<std::string, printer_runtime> printers_;
  std::shared_ptr<slip::fonts> fonts_;
  std::string fonts_error_;
  control_server control_;
  std::shared_ptr<flow_gate> gate_;  // closed while the committer is behind
  boost::asio::signal_set signals_;
  boost::asio::steady_timer expiry_timer_;
  boost::asio::steady_timer watchdog_timer_;
  boost::asio::steady_timer status_timer_;
  boost::asio::steady_timer sync_status_timer_;
  std::string last_status_;
  bool status_pending_ = false;
  bool store_available_ = true;
  bool store_recovered_ = false;  // a corrupt store was moved aside at this start
  bool stopping_ = false;
  std::string last_reload_;  // outcome of the last SIGHUP, for status
  std::int64_t started_ms_ = 0;
  std::uint64_t accepted_ = 0;
  int exit_code_ = 0;
};

}  // namespace ravao
