#pragma once
// `[[printer]] kind = "tcp"`: a network printer on its raw port (9100, "JetDirect"
// style): the bytes written to the connection are what the printer prints,
// the bytes it sends back are status (DLE EOT replies, ASB blocks).
//
// start() connects (resolve and connect within connect_timeout) and keeps
// the connection open: the printer is online while it is connected. A failed
// attempt, the printer closing the connection, or an error on it makes it
// offline with the reason ("cannot connect to 192.168.1.50:9100: Connection
// refused") and starts the next attempt after a back-off that doubles from
// first_backoff to max_backoff and starts over after a connection succeeded.
//
// A reader runs on the connection for as long as it is open: it is how a
// closed connection is noticed while idle, and it keeps what the printer
// sent (at most inbox_bytes, the oldest dropped) for read(). TCP keepalive
// (probes after 10 s idle, every 5 s, 3 missed) notices a printer switched
// off without closing the connection.
//
// write() is one async_write of the whole span with write_timeout: a printer
// that stops taking data (paper out, cover open, hung) fills its window and
// the write fails with timed_out, the connection kept. A broken connection
// fails the write with broken_pipe and reconnects.
//
// Ownership: the coroutine run() (started by start()) holds the transport
// and owns the connection; write() and read() hold it while they run. Every
// call is made on the executor given at construction; stop() closes the
// socket and cancels the timers, which ends run(), the reader and any write
// or read in flight (operation_canceled); no callback after it.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <memory>
#include <string>

#include "drivers/printer_transport.hpp"

namespace ravao {

struct tcp_printer_options {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds write_timeout{10000};
  std::chrono::milliseconds first_backoff{1000};
  std::chrono::milliseconds max_backoff{30000};
  std::size_t inbox_bytes = 4096;
};

class tcp_printer final : public printer_transport, public std::enable_shared_from_this<tcp_printer> {
 public:
  tcp_printer(printer_config cfg, boost::asio::any_io_executor ex, printer_sink sink, tcp_printer_options opt = {});

  void start() override;
  void stop() override;
  bool can_read() const override { return conn_ != nullptr; }
  boost::asio::awaitable<result<std::size_t>> write(std::span<const std::uint8_t> data) override;
  boost::asio::awaitable<result<std::size_t>> read(std::span<std::uint8_t> into,
                                                  std::chrono::milliseconds timeout) override;

 private:
  // One connection; shared by run(), its reader and the write/read using it.
  struct connection {
    explicit connection(boost::asio::any_io_executor ex) : socket(ex) {}
    boost::asio::ip::tcp::socket socket;
    std::string ended;  // why it ended, once it did ("the printer closed the connection")
  };
  boost::asio::awaitable<void> run();
  void reset(std::string_view error);  // after run() threw: closes the connection, reports offline
  boost::asio::awaitable<result<std::shared_ptr<connection>>> connect();
  boost::asio::awaitable<void> receive(std::shared_ptr<connection> c);
  void end(const std::shared_ptr<connection>& c, std::string why);  // closes it; run() reconnects
  void set_state(device_state s, std::string_view reason);
  std::unexpected<error> not_online() const;

  printer_config cfg_;
  boost::asio::any_io_executor ex_;
  printer_sink sink_;
  tcp_printer_options opt_;
  std::string host_, port_;  // from cfg_.address, brackets of an IPv6 address removed
  boost::asio::ip::tcp::resolver resolver_;  // cancelled by stop() and the connect timeout
  std::shared_ptr<connection> connecting_;   // the socket being connected; closed by stop()
  std::shared_ptr<connection> conn_;         // the open connection, while online
  boost::asio::steady_timer backoff_;        // wait before the next attempt; cancelled by stop()
  boost::asio::steady_timer arrived_;        // read() waits on it; cancelled when bytes arrive, at the end of the connection and by stop()
  std::deque<std::uint8_t> inbox_;           // bytes from the printer not read yet
  bool writing_ = false, reading_ = false, started_ = false, stopped_ = false;
  device_state state_ = device_state::starting;
  std::string reason_;
};

}  // namespace ravao
