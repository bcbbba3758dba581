#pragma once
// One libusb_transfer as an Asio asynchronous operation, so device sessions
// are written as coroutines: `auto [ec, n] = co_await t.async_run(len,
// timeout, as_tuple(use_awaitable))`.
//
// The completion is posted to the handler's executor (never run inside
// libusb's event handling), with the transfer status as an error code:
// timed_out, broken_pipe (stall), no_such_device (unplugged),
// operation_aborted (cancel()), message_size (overflow), io_error.
//
// Ownership: the object owns the libusb_transfer and its buffer; it must not
// be destroyed while a run is in flight, except at exit (then the transfer is
// cancelled and freed by its last callback). cancel() completes a run in
// flight with operation_aborted (or whatever status the kernel already had).
// No work guard is held: the libusb descriptors watched by libusb_events keep
// the loop running while a transfer can still complete.
// Thread: the loop thread only.

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

struct libusb_transfer;
struct libusb_device_handle;

namespace ravao::usb {

class usb_transfer {
 public:
  enum class kind { interrupt, bulk };
  using signature = void(boost::system::error_code, std::size_t);

  usb_transfer(boost::asio::any_io_executor ex, libusb_device_handle* h, std::uint8_t endpoint, kind k,
               std::size_t buffer_size);
  ~usb_transfer();
  usb_transfer(const usb_transfer&) = delete;
  usb_transfer& operator=(const usb_transfer&) = delete;

  // IN: filled by the run; OUT: fill the first `length` bytes before it.
  std::span<std::uint8_t> buffer() { return {buffer_, size_}; }

  // Runs the transfer over the first `length` bytes of the buffer. A timeout
  // of zero waits forever. Completes with the bytes transferred.
  template <class Token>
  auto async_run(std::size_t length, std::chrono::milliseconds timeout, Token&& token) {
    return boost::asio::async_initiate<Token, signature>(
        [this](boost::asio::any_completion_handler<signature> h, std::size_t len, std::chrono::milliseconds t) {
          start(std::move(h), len, t);
        },
        token, length, timeout);
  }

  void cancel();
  bool in_flight() const { return in_flight_; }

 private:
  void start(boost::asio::any_completion_handler<signature> h, std::size_t length, std::chrono::milliseconds timeout);
  void complete(boost::system::error_code ec, std::size_t n);
  static void on_done(libusb_transfer* t);       // libusb callback (inside event handling)
  static void on_orphaned(libusb_transfer* t);   // after the owner was destroyed mid-flight

  boost::asio::any_io_executor ex_;
  libusb_transfer* transfer_;
  std::uint8_t* buffer_;  // malloc'd: an orphaned transfer hands it to libusb to free
  std::size_t size_;
  boost::asio::any_completion_handler<signature> handler_;
  bool in_flight_ = false;
};

// LIBUSB_TRANSFER_* status as the error code above.
boost::system::error_code transfer_error(int status);

}  // namespace ravao::usb
