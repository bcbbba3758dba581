#pragma once
// What the printers behind a device node share (`kind = "serial"`: a tty;
// `kind = "lp"`: the kernel's usblp node): open the node, report it online,
// write and read through asio::posix::stream_descriptor with deadlines, and
// reopen it when it goes away. The kinds differ in how the node is opened
// and what an errno means (serial_printer.hpp, lp_printer.hpp).
//
// States: a missing node (ENOENT, ENODEV, ENXIO) is offline "waiting for
// /dev/ttyUSB0"; any other open failure (permission, not a tty) is error with
// the reason; both are retried every retry_interval. Online once open. The
// device is taken as gone, offline and reopened after retry_interval, when
// it hangs up (POLLHUP/POLLERR, as a tty does on unplug), when a write or read
// fails with an errno the kind calls "gone" (EIO, ENODEV), or when the node
// at the configured path is no longer the one opened (checked every
// retry_interval: usblp does not report a hangup to poll(), and a udev
// symlink may point elsewhere after a replug).
//
// write() sends the whole span with write_deadline(size) (timed_out: the
// printer stopped taking data); read() returns what is available within
// the timeout (timed_out otherwise); both are one operation on the
// descriptor, cancelled alone at their deadline.
//
// Ownership: run() (started by start()) holds the transport and owns the
// open session (descriptor); write() and read() hold both while they run.
// Every call on the executor given at construction. stop() closes the
// descriptor and cancels the timer: run(), the hangup watch and any write or
// read in flight end (operation_canceled); no callback after it.

#include <sys/stat.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <string>
#include <system_error>

#include "drivers/printer_transport.hpp"

namespace ravao {

struct device_printer_options {
  std::chrono::milliseconds write_timeout{10000};
  std::chrono::milliseconds retry_interval{2000};
};

class device_printer : public printer_transport, public std::enable_shared_from_this<device_printer> {
 public:
  void start() override;
  void stop() override;
  bool can_read() const override { return session_ && session_->readable; }
  boost::asio::awaitable<result<std::size_t>> write(std::span<const std::uint8_t> data) override;
  boost::asio::awaitable<result<std::size_t>> read(std::span<std::uint8_t> into,
                                                  std::chrono::milliseconds timeout) override;

 protected:
  device_printer(printer_config cfg, boost::asio::any_io_executor ex, printer_sink sink, device_printer_options opt);

  struct opened {
    int fd = -1;  // non-blocking, close-on-exec; owned by the transport from here
    bool readable = false;
    std::string description;  // the online reason: "opened /dev/ttyUSB0 (9600 baud, 8N1)"
  };
  // Opens cfg().device. On failure: the errno as code (ENOENT: not there
  // yet) and the reason as context.
  virtual result<opened> open_device() = 0;

  // How long a write of `bytes` may go without finishing.
  virtual std::chrono::milliseconds write_deadline(std::size_t bytes) const;

  // What a failed write or read's errno means for the queue (code) and the
  // device (gone: close and reopen it). not_supported from a read makes the
  // session unreadable (can_read() false).
  struct failure {
    std::errc code = std::errc::io_error;
    bool gone = false;
    std::string what;
  };
  virtual failure classify(int err, bool writing) const;

  const printer_config& cfg() const { return cfg_; }
  const device_printer_options& options() const { return opt_; }

 private:
  struct session {
    explicit session(boost::asio::any_io_executor ex) : stream(ex) {}
    boost::asio::posix::stream_descriptor stream;
    struct stat node {};  // what was opened: st_dev/st_ino, to notice the path now naming another node
    bool readable = false;
    std::string ended;  // why the session ended, once it did
  };
  boost::asio::awaitable<void> run();
  void reset(std::string_view error);  // after run() threw: closes the device, reports offline
  boost::asio::awaitable<void> watch_hangup(std::shared_ptr<session> s);
  bool still_there(const session& s) const;
  void end(const std::shared_ptr<session>& s, std::string why);  // run() closes it and reopens
  void set_state(device_state s, std::string_view reason);
  std::unexpected<error> not_online() const;

  printer_config cfg_;
  boost::asio::any_io_executor ex_;
  printer_sink sink_;
  device_printer_options opt_;
  boost::asio::steady_timer wait_;     // retry wait / presence check while open; cancelled by stop() and end()
  std::shared_ptr<session> session_;  // while online
  bool writing_ = false, reading_ = false, started_ = false, stopped_ = false;
  device_state state_ = device_state::starting;
  std::string reason_;
};

}  // namespace ravao
