#pragma once
// `[[printer]] kind = "lp"`: the kernel's printer device, `device`, normally
// /dev/usb/lp0 from the usblp driver (the USB printer class without libusb;
// `kind = "usb"` is the other way, and the two cannot share one printer).
//
// Opened O_RDWR | O_NONBLOCK | O_CLOEXEC (O_WRONLY when only writing is
// allowed). Reading status: usblp reads work only for a bidirectional printer
// (interface protocol 2); for any other it answers every read with EINVAL. A
// read of 0 bytes at open asks which without taking anything, so can_read()
// is true only for a node opened read-write whose printer is bidirectional
// (and turns false if a later read still says EINVAL). A bidirectional
// printer that sends nothing leaves reads at EAGAIN: read() times out, which
// the queue takes as "no status".
//
// Errors (usblp, drivers/usb/class/usblp.c): ENODEV after an unplug (gone,
// reopened); EIO when a transfer failed, which some kernels and printers
// also give for paper out or an open cover (gone: closed and reopened, the
// queue gets io_error saying so); ENOSPC, paper out, from drivers that
// report it (timed_out: the printer stopped taking data, with the reason).
// With O_NONBLOCK usblp itself never blocks on paper out: it stops taking
// data (EAGAIN), and the write deadline turns that into timed_out.
//
// usblp does not report an unplug to poll(); the node disappearing does
// (device_printer checks it every retry_interval), as does the next write.

#include "drivers/device_printer.hpp"

namespace ravao {

class lp_printer final : public device_printer {
 public:
  lp_printer(printer_config cfg, boost::asio::any_io_executor ex, printer_sink sink, device_printer_options opt = {});

 private:
  result<opened> open_device() override;
  failure classify(int err, bool writing) const override;
};

}  // namespace ravao
