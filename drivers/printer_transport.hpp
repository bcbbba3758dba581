#pragma once
// The printer seam: how ESC/POS bytes reach a printer and status bytes come
// back, whatever the wire (USB printer class, lp device, TCP 9100, serial
// tty, file). The print queue (slip printing) talks only to this interface;
// one implementation per `[[printer]] kind`.
//
// Contract:
// - start() begins finding/opening the device; on_state reports every change
//   (online when bytes can be written). stop() ends everything; no callback
//   runs after it, and a write or read in flight completes with
//   operation_canceled (std::errc), or the transfer's own error if it ended first.
// - write() sends all of `data` or fails; the error says how many bytes went
//   out before it (error context) and its code tells the queue what to do:
//   no_such_device / not_connected (offline: wait), timed_out (the printer
//   stopped taking data: paper out, cover open, or hung), broken_pipe, io_error.
//   One write at a time; the caller keeps `data` alive until it completes.
// - read() returns what the printer sent (status bytes) within `timeout`, or
//   timed_out; not_supported when the transport cannot read (can_read()).
// - begin_job()/end_job() bracket the writes of one print job. Only the file
//   transport needs them (one .bin and one .png per job); the others ignore
//   them. `name` is unique per job and safe as a file name
//   ("slip-000017-job12"); `preview` is the image being printed.
// - Every call is made on the executor given at construction.

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "common/error.hpp"
#include "common/raster.hpp"
#include "drivers/scanner_source.hpp"

namespace ravao {

struct printer_sink {
  // Called on every change; reason in words ("claimed 04b8:0202 at port 1-3").
  std::function<void(device_state, std::string_view reason)> on_state;
};

class printer_transport {
 public:
  virtual ~printer_transport() = default;
  virtual void start() = 0;
  virtual void stop() = 0;
  virtual bool can_read() const = 0;  // the printer can report status on this transport now
  virtual boost::asio::awaitable<result<std::size_t>> write(std::span<const std::uint8_t> data) = 0;
  virtual boost::asio::awaitable<result<std::size_t>> read(std::span<std::uint8_t> into,
                                                          std::chrono::milliseconds timeout) = 0;
  virtual result<void> begin_job(std::string_view name, const raster& preview) {
    (void)name, (void)preview;
    return {};
  }
  // After the last write of a job (whether it succeeded or not: `complete`
  // says which). The file transport publishes the job's files only when complete.
  virtual result<void> end_job(bool complete) {
    (void)complete;
    return {};
  }
};

// The transport for the printer's kind (every kind has one).
std::shared_ptr<printer_transport> make_printer_transport(const printer_config& cfg, const driver_context& ctx,
                                                          printer_sink sink);

}  // namespace ravao
