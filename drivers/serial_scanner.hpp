#pragma once
// `kind = "serial"`: CDC-ACM (/dev/ttyACM*), USB-serial bridges and RS-232,
// through asio::serial_port, opened by open_raw_tty (drivers/tty.hpp: raw
// mode, 8N1, no flow control, the configured baud, TIOCEXCL so no other
// program reads our scans).
// When the device goes away (EIO/EOF on unplug) the scanner is reported
// offline and reopened every reopen_interval until it is back; no restart.
// An exception from the read loop (a sink that threw) is the supervisor's
// (common/supervise.hpp): logged, the port closed and reported offline, and
// the loop started again, which reopens the port.

#include <boost/asio/serial_port.hpp>
#include <boost/asio/steady_timer.hpp>

#include <boost/asio/awaitable.hpp>

#include "drivers/scanner_source.hpp"
#include "drivers/frame.hpp"

namespace ravao {

class serial_scanner final : public scanner_source, public std::enable_shared_from_this<serial_scanner> {
 public:
  serial_scanner(scanner_config cfg, boost::asio::any_io_executor ex, scanner_sink sink,
                 std::chrono::milliseconds reopen_interval = std::chrono::milliseconds(1000));
  void start() override;
  void stop() override;

 private:
  boost::asio::awaitable<void> run();
  void reset(std::string_view error);  // after run() threw: closes the port, reports offline
  bool open_port(std::string& why);
  void set_state(device_state s, std::string_view reason);

  scanner_config cfg_;
  scanner_sink sink_;
  boost::asio::serial_port port_;   // owned; closed by stop() to cancel a pending read
  boost::asio::steady_timer retry_;  // owned; cancelled by stop()
  std::chrono::milliseconds reopen_interval_;
  line_framer framer_;
  device_state state_ = device_state::starting;
  std::string reason_;
  bool stopped_ = false;
};

}  // namespace ravao
