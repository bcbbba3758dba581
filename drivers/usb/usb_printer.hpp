#pragma once
// `[[printer]] kind = "usb"`: a USB printer-class device (interface class 7)
// driven through libusb, one printer_transport implementation.
//
// The bus assigns the device its usb_match selects (an empty match: any
// printer-class device). The transport claims the printer interface
// (detaching usblp, which takes /dev/usb/lp* away while the daemon owns it
// and gives it back when it lets go), finds the bulk OUT endpoint and, for a
// bidirectional printer (protocol 2), the bulk IN endpoint in the
// descriptors, and reads the IEEE 1284 device id for the log.
//
// write() sends in chunks of at most chunk_bytes, each with chunk_timeout; a
// stall is cleared and the chunk retried once. read() is one bulk IN
// transfer with the caller's timeout.
//
// Ownership and thread as usb_hid_scanner: a device session (coroutine)
// holds the transport while it runs; everything on the loop thread.

#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <string>

#include "drivers/printer_transport.hpp"
#include "drivers/usb/device_ref.hpp"
#include "drivers/usb/usb_bus.hpp"

namespace ravao::usb {

class usb_transfer;

struct usb_printer_options {
  std::size_t chunk_bytes = 4096;
  std::chrono::milliseconds chunk_timeout{5000};
  std::chrono::milliseconds retry_interval{2000};
};

class usb_printer final : public printer_transport,
                          public usb_client,
                          public std::enable_shared_from_this<usb_printer> {
 public:
  usb_printer(printer_config cfg, const driver_context& ctx, printer_sink sink, usb_printer_options opt = {});

  void start() override;
  void stop() override;
  bool can_read() const override { return session_ && session_->in_endpoint.has_value(); }
  boost::asio::awaitable<result<std::size_t>> write(std::span<const std::uint8_t> data) override;
  boost::asio::awaitable<result<std::size_t>> read(std::span<std::uint8_t> into,
                                                  std::chrono::milliseconds timeout) override;

  std::string usb_name() const override { return "printer " + cfg_.id; }
  const usb_match& usb_criteria() const override { return cfg_.usb; }
  std::uint8_t usb_interface_class() const override { return 7; }
  void on_usb_arrived(libusb_device* dev, const usb_device_info& info) override;
  void on_usb_left() override;

  // The IEEE 1284 device id the printer reported ("MFG:EPSON;MDL:TM-T20;..."), if any.
  const std::string& device_id() const { return device_id_; }

 private:
  struct session : opened_handle {
    std::uint8_t out_endpoint = 0;
    std::optional<std::uint8_t> in_endpoint;
    std::size_t in_packet = 64;
  };
  result<std::shared_ptr<session>> open_device(libusb_device* dev, const usb_device_info& info, bool& retry);
  boost::asio::awaitable<void> run();
  void reset(std::string_view error);  // after run() threw: the device goes back to pending_, offline
  void set_state(device_state s, std::string_view reason);
  std::unexpected<error> not_online() const;
  void lost(const std::shared_ptr<session>& s);  // a transfer on s saw NO_DEVICE
  void cancel_transfers();

  printer_config cfg_;
  boost::asio::any_io_executor ex_;
  usb_bus* bus_;
  std::string bus_error_;
  printer_sink sink_;
  usb_printer_options opt_;
  boost::asio::steady_timer wait_;  // retry wait / idle until unplug; cancelled by stop() and on_usb_left()
  device_ref pending_;  // assigned, not yet served
  usb_device_info pending_info_, info_;
  device_ref serving_;  // the device run() serves; given back to pending_ by reset()
  std::shared_ptr<session> session_;  // the claimed printer, while online
  usb_transfer* writing_ = nullptr;   // transfers in flight (owned by write() / read()), for cancel
  usb_transfer* reading_ = nullptr;
  std::string device_id_;
  bool present_ = false, running_ = false, attached_ = false, stopped_ = false;
  device_state state_ = device_state::starting;
  std::string reason_;
};

}  // namespace ravao::usb
