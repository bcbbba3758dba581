#pragma once
// The printers: each configured printer's transport and print queue (a
// print::printer_worker that takes its jobs from the store), the fonts the
// slips are drawn with, and the printers' health for `ravaoctl devices`.
// Jobs are added by whoever asks for a slip (scanned_commands, the control
// commands), which then wake() the printer's queue.
//
// Loop thread only. Owned by app; holds references to the configuration
// (app's, replaced in place by a reload), the committer (job states are
// written on its thread), the read-only store and the USB bus, which
// outlive it. stop() stops every queue and transport.

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>

#include "config/config.hpp"
#include "device_health.hpp"
#include "drivers/printer_transport.hpp"
#include "print/printer_worker.hpp"
#include "store/committer.hpp"
#include "usb_access.hpp"

namespace ravao {

class print_service {
 public:
  struct printer_runtime {
    printer_config cfg;
    std::shared_ptr<printer_transport> transport;
    std::shared_ptr<print::printer_worker> worker;  // its print queue; null without transport or fonts
    device_health health;
  };

  // on_change: something the status line shows changed.
  print_service(boost::asio::any_io_executor ex, const config& cfg, committer& writer, const store_reader& reader,
                usb_access& usb, std::function<void()> on_change);

  void start_all();
  // A reload: retire() stops the printers the next configuration drops or
  // changes, before the configuration is swapped; start_new() starts the
  // configured ones not running, after.
  void retire(const config& next);
  void start_new();
  void stop();

  // A job was added for this printer: its queue looks at the store now.
  void wake(const std::string& printer_id);

  // Content of job `job_id` that must not be stored in clear (a
  // declaration's printed copy: its answers are personal data, which the
  // store keeps only sealed): held in memory and given to the printer in
  // place of the stored content; wiped once the job is printed, failed or
  // cancelled, at stop(), or after held_content_life (then, or after a
  // restart, the stored content prints). Never written or logged. Call
  // before wake().
  void hold_content(std::int64_t job_id, std::string content_json);
  static constexpr std::chrono::minutes held_content_life{10};

  const std::map<std::string, printer_runtime>& all() const { return printers_; }

 private:
  void start(const printer_config& p);
  static void stop(printer_runtime& rt);
  std::shared_ptr<slip::fonts> fonts();
  void start_worker(printer_runtime& rt);
  void on_state(const std::string& printer_id, device_state s, std::string_view reason);
  void on_status(const std::string& printer_id, escpos::printer_status from, escpos::printer_status to,
                 std::string_view reason);

  boost::asio::any_io_executor ex_;
  const config& cfg_;
  committer& writer_;
  const store_reader& reader_;
  usb_access& usb_;
  std::function<void()> on_change_;
  std::map<std::string, printer_runtime> printers_;
  struct held_content {
    std::string json;
    std::chrono::steady_clock::time_point until;
  };
  std::map<std::int64_t, held_content> held_;  // by job id
  // Wipes and drops held content: job `job_id`'s (0: none), and any expired.
  void forget_held(std::int64_t job_id);
  std::shared_ptr<slip::fonts> fonts_;
  std::string fonts_error_;
  bool stopping_ = false;
};

}  // namespace ravao
