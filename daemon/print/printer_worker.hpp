#pragma once
// One printer's print queue: takes its jobs from the store in order, renders
// each, sends it through the printer's transport band by band, and decides
// when a job counts as printed (docs/slips.md, "Print queue").
//
// Rules:
// - Where the transport can read, the printer's status (DLE EOT 1, 2 and 4)
//   is asked before a job, between bands and after the last band. Paper out,
//   cover open, offline or error hold the queue; it is asked again every
//   second while a job waits and every 30 s while idle, and the job goes as
//   soon as the printer is ready. A job is printed only when the printer
//   reports ready after its last byte; otherwise it goes back to the queue
//   and is printed again in full (never half a slip, never none).
// - A printer that has never answered a status request on this connection is
//   driven blind: a job is printed once its bytes were taken.
// - A failed write (printer gone, unreachable, stopped taking data) puts the
//   job back and waits for the transport to come back, or retries after a
//   backoff of 2 s doubling to 60 s; transports reconnect on their own.
// - A job that cannot be drawn (corrupt content) fails and is not retried.
//
// Jobs are read through `pending` and their state written through
// `set_state`, which queues the write for the store's writer thread; jobs
// finished in this run are remembered so that a read that does not see a
// write yet never prints a job twice.
//
// Everything runs on the executor given at construction.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "config/config.hpp"
#include "drivers/escpos/profile.hpp"
#include "drivers/escpos/status.hpp"
#include "drivers/printer_transport.hpp"
#include "slip/slip_layout.hpp"
#include "store/store.hpp"

namespace ravao::print {

struct worker_hooks {
  // Jobs of this printer still to print, oldest first.
  std::function<result<std::vector<print_job_row>>()> pending;
  std::function<void(std::int64_t job_id, job_state to, std::string error)> set_state;
  // The printer's reported status changed (logged by the caller).
  std::function<void(escpos::printer_status from, escpos::printer_status to, std::string_view reason)> on_status;
  // A job reached "printed", "failed", went back to the queue ("requeued") or
  // is waiting for the printer ("held").
  std::function<void(const print_job_row& job, std::string_view outcome, std::string_view detail)> on_job;
};

class printer_worker : public std::enable_shared_from_this<printer_worker> {
 public:
  printer_worker(boost::asio::any_io_executor ex, printer_config cfg, std::shared_ptr<printer_transport> transport,
                 std::shared_ptr<slip::fonts> fonts, worker_hooks hooks);

  void start();
  void stop();
  // From the transport's printer_sink.
  void transport_state(device_state s);
  // A job was added for this printer.
  void wake();

  const escpos::printer_profile& profile() const { return *profile_; }
  // Printer-reported status; nullopt while it never answered (or cannot).
  std::optional<escpos::printer_status> status() const;
  std::string status_reason() const { return status_reason_; }
  std::size_t jobs_printed() const { return printed_; }
  bool holding() const { return holding_; }

  static const escpos::printer_profile& profile_for(const printer_config& cfg);

 private:
  boost::asio::awaitable<void> run();
  void reset(std::string_view error);  // after run() threw
  boost::asio::awaitable<void> sleep(std::chrono::milliseconds d);
  // Asks DLE EOT 1, 2, 4 and waits up to 1 s for the replies. False when
  // the printer is known not to be ready.
  boost::asio::awaitable<bool> ready_now();
  boost::asio::awaitable<void> print(const print_job_row& job);
  void requeue(const print_job_row& job, const std::string& why);
  bool blind() const { return !transport_->can_read() || !answered_; }

  boost::asio::any_io_executor ex_;
  printer_config cfg_;
  const escpos::printer_profile* profile_;
  std::shared_ptr<printer_transport> transport_;
  std::shared_ptr<slip::fonts> fonts_;
  worker_hooks hooks_;
  boost::asio::steady_timer wake_timer_;
  device_state transport_state_ = device_state::starting;
  escpos::status_parser parser_;
  escpos::status_machine machine_;
  bool answered_ = false;  // the printer answered a status request on this connection
  std::string status_reason_;
  std::set<std::int64_t> finished_;  // printed or failed in this run
  std::chrono::milliseconds backoff_{0};
  std::size_t printed_ = 0;
  bool holding_ = false;
  std::int64_t held_job_ = 0;
  bool stopped_ = false;
  bool woken_ = false;
};

}  // namespace ravao::print
