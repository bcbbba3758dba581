#pragma once
// Fake ESC/POS printers for the printer transports' tests: an emulation of
// the printer fed the byte stream in whatever pieces it arrives, behind a
// real TCP listener (fake_tcp_printer, raw port 9100 style) or a real
// pseudo-terminal (fake_pty_printer, for the serial and lp transports).
//
// The emulation understands exactly what the encoder emits (ESC @, FS .,
// GS v 0 with its length, ESC d n, GS V m [n]) plus DLE EOT n (n = 1..4),
// which it answers at once with a status byte built from its condition
// (bit layout of drivers/escpos/status.hpp). Any other byte is a protocol
// violation: counted, kept with its offset, and skipped.
//
// Jobs: ESC @ starts one; its GS v 0 bands are stacked into one raster; it
// ends at the first feed or cut after a band (or at the next ESC @). While the
// printer is not ready (paper out, cover open, offline, error) it still
// records what it receives, as a real printer buffers it, and counts those
// bytes (bytes_while_not_ready): the print queue must not send then, so
// tests assert the count stays 0. DLE EOT requests are not counted (they
// are real-time commands, answered in any state).
//
// Threads: each fake runs its own thread; every public function is safe to
// call from the test's thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/raster.hpp"

namespace ravao::test {

struct printer_condition {
  bool paper_out = false;
  bool paper_near_end = false;
  bool cover_open = false;
  bool offline = false;
  bool error = false;
  bool ready() const { return !paper_out && !cover_open && !offline && !error; }
};

struct printed_job {
  raster image;    // the job's bands stacked
  int feed = -1;   // ESC d n that ended it; -1: none
  bool cut = false;
};

// The emulation itself: single-threaded, no I/O.
class escpos_emulation {
 public:
  // Consumes `bytes` (any split); appends the replies to send back.
  void feed(std::span<const std::uint8_t> bytes, std::vector<std::uint8_t>& replies);
  void set_condition(const printer_condition& c) { condition_ = c; }
  const printer_condition& condition() const { return condition_; }
  // The reply to DLE EOT n for the current condition.
  std::uint8_t status_byte(int n) const;

  const std::vector<printed_job>& jobs() const { return jobs_; }
  const std::vector<std::string>& violations() const { return violations_; }
  const std::vector<std::uint8_t>& received() const { return received_; }
  std::size_t bytes_while_not_ready() const { return not_ready_bytes_; }
  std::size_t status_requests() const { return status_requests_; }

 private:
  // The command at the start of `p`: bytes consumed; 0: incomplete.
  std::size_t parse_one(std::span<const std::uint8_t> p, std::vector<std::uint8_t>& replies);
  void violation(std::string what);
  void finish_job(int feed, bool cut);

  printer_condition condition_;
  std::vector<std::uint8_t> pending_;  // start of a command not complete yet
  std::size_t pending_offset_ = 0;     // stream offset of pending_[0]
  std::size_t at_ = 0;                 // stream offset of the command being parsed
  std::optional<printed_job> current_;
  std::vector<printed_job> jobs_;
  std::vector<std::string> violations_;
  std::vector<std::uint8_t> received_;
  std::size_t not_ready_bytes_ = 0;
  std::size_t status_requests_ = 0;
};

// The emulation behind a lock, with waits for tests (each with a deadline).
class fake_printer {
 public:
  void set_condition(const printer_condition& c);
  std::vector<printed_job> jobs() const;
  std::vector<std::string> violations() const;
  std::vector<std::uint8_t> received() const;
  std::size_t bytes_while_not_ready() const;
  std::size_t status_requests() const;
  bool wait_for_jobs(std::size_t n, std::chrono::milliseconds deadline = std::chrono::seconds(20)) const;
  bool wait_for_bytes(std::size_t n, std::chrono::milliseconds deadline = std::chrono::seconds(20)) const;

 protected:
  fake_printer() = default;
  ~fake_printer() = default;
  // Feeds what arrived; returns the replies to send.
  std::vector<std::uint8_t> consume(std::span<const std::uint8_t> bytes);

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;

 private:
  escpos_emulation emulation_;
};

struct fake_tcp_options {
  // SO_RCVBUF of accepted connections (0: the system's, which autotunes up
  // to tens of MB on loopback). Small, a paused printer stops a writer soon.
  int receive_buffer = 0;
};

// A raw-port network printer on 127.0.0.1 (an ephemeral port), one
// connection at a time (a second waits in the backlog until the first ends).
class fake_tcp_printer : public fake_printer {
 public:
  explicit fake_tcp_printer(fake_tcp_options opt = {});
  ~fake_tcp_printer();
  fake_tcp_printer(const fake_tcp_printer&) = delete;
  fake_tcp_printer& operator=(const fake_tcp_printer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Closes the listener (connections are refused) / listens again on the same port.
  void stop_listening();
  void start_listening();
  // Closes the current connection (the printer hangs up; unread data makes it a reset).
  void drop_connection();
  // Stops / resumes reading the connection (the printer stops taking data).
  void pause_reading(bool paused);
  std::size_t connections() const;
  bool wait_for_connections(std::size_t n, std::chrono::milliseconds deadline = std::chrono::seconds(20)) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::uint16_t port_ = 0;
  std::size_t connections_ = 0;  // guarded by mutex_
};

// A printer on a pseudo-terminal. The transport opens `link`, a symlink to
// the slave (as it would /dev/ttyUSB0 or a udev link); the fake keeps the
// slave open too (in raw mode, so bytes pass unmodified both ways) and
// answers on the master from its thread. unplug() closes the master (the
// transport's descriptor hangs up: POLLHUP, EIO) and removes the link;
// plug() makes a new pty behind the same link.
class fake_pty_printer : public fake_printer {
 public:
  explicit fake_pty_printer(std::filesystem::path link, bool plugged = true);
  ~fake_pty_printer();
  fake_pty_printer(const fake_pty_printer&) = delete;
  fake_pty_printer& operator=(const fake_pty_printer&) = delete;

  void plug();
  void unplug();
  const std::filesystem::path& link() const { return link_; }
  std::string slave_path() const { return slave_name_; }
  void pause_reading(bool paused);

 private:
  void serve();  // the thread: reads the master, feeds the emulation, writes replies
  void wake();

  std::filesystem::path link_;
  std::string slave_name_;
  int master_ = -1, slave_ = -1, wake_ = -1;
  std::thread thread_;
  std::atomic<bool> paused_{false}, quit_{false};
};

}  // namespace ravao::test
