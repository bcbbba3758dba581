#include "drivers/usb/usb_transfer.hpp"

#include <cstdlib>
#include <cstring>

#include <boost/asio/post.hpp>
#include <libusb.h>

namespace ravao::usb {
namespace asio = boost::asio;
namespace errc = boost::system::errc;

boost::system::error_code transfer_error(int status) {
  switch (status) {
    case LIBUSB_TRANSFER_COMPLETED: return {};
    case LIBUSB_TRANSFER_TIMED_OUT: return errc::make_error_code(errc::timed_out);
    case LIBUSB_TRANSFER_STALL: return errc::make_error_code(errc::broken_pipe);
    case LIBUSB_TRANSFER_NO_DEVICE: return errc::make_error_code(errc::no_such_device);
    case LIBUSB_TRANSFER_CANCELLED: return asio::error::operation_aborted;
    case LIBUSB_TRANSFER_OVERFLOW: return errc::make_error_code(errc::message_size);
    default: return errc::make_error_code(errc::io_error);
  }
}

usb_transfer::usb_transfer(asio::any_io_executor ex, libusb_device_handle* h, std::uint8_t endpoint, kind k,
                           std::size_t buffer_size)
    : ex_(std::move(ex)),
      transfer_(libusb_alloc_transfer(0)),
      buffer_(static_cast<std::uint8_t*>(std::calloc(buffer_size ? buffer_size : 1, 1))),
      size_(buffer_size) {
  if (!transfer_ || !buffer_) {
    libusb_free_transfer(transfer_);
    std::free(buffer_);
    throw std::bad_alloc();
  }
  if (k == kind::interrupt)
    libusb_fill_interrupt_transfer(transfer_, h, endpoint, buffer_, 0, &usb_transfer::on_done, this, 0);
  else
    libusb_fill_bulk_transfer(transfer_, h, endpoint, buffer_, 0, &usb_transfer::on_done, this, 0);
}

usb_transfer::~usb_transfer() {
  if (!in_flight_) {
    libusb_free_transfer(transfer_);
    std::free(buffer_);
    return;
  }
  // Only at exit (the loop stopped with a run pending): the kernel may still
  // write into the buffer, so the transfer keeps it and frees both when
  // libusb reports it done (or never, if libusb exits first).
  transfer_->callback = &usb_transfer::on_orphaned;
  transfer_->user_data = nullptr;
  transfer_->flags |= LIBUSB_TRANSFER_FREE_BUFFER;
  libusb_cancel_transfer(transfer_);
}

void usb_transfer::on_orphaned(libusb_transfer* t) { libusb_free_transfer(t); }

void usb_transfer::start(asio::any_completion_handler<signature> h, std::size_t length,
                         std::chrono::milliseconds timeout) {
  // Not `handler_ = std::move(h)`: Boost 1.81's move assignment copies its
  // operand as an lvalue and wraps it in itself forever (stack overflow).
  handler_.swap(h);
  if (length > size_) {
    complete(errc::make_error_code(errc::invalid_argument), 0);
    return;
  }
  transfer_->length = static_cast<int>(length);
  transfer_->timeout = static_cast<unsigned>(timeout.count());
  transfer_->actual_length = 0;
  if (const int rc = libusb_submit_transfer(transfer_); rc != 0) {
    complete(rc == LIBUSB_ERROR_NO_DEVICE ? errc::make_error_code(errc::no_such_device)
             : rc == LIBUSB_ERROR_BUSY    ? errc::make_error_code(errc::device_or_resource_busy)
                                          : errc::make_error_code(errc::io_error),
             0);
    return;
  }
  in_flight_ = true;
}

void usb_transfer::cancel() {
  if (in_flight_) libusb_cancel_transfer(transfer_);
}

void usb_transfer::on_done(libusb_transfer* t) {
  auto* self = static_cast<usb_transfer*>(t->user_data);
  self->in_flight_ = false;
  self->complete(transfer_error(t->status), static_cast<std::size_t>(t->actual_length));
}

void usb_transfer::complete(boost::system::error_code ec, std::size_t n) {
  // Every caller runs on the loop (ex_), so the handler's own executor is the
  // loop's too; posting leaves libusb's event handling before it runs.
  asio::post(ex_, [h = std::move(handler_), ec, n]() mutable { std::move(h)(ec, n); });
}

}  // namespace ravao::usb
