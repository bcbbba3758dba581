#pragma once
// udev rules for exactly the USB devices a configuration names:
// `ravaod --print-udev-rules` (docs/udev.md). packaging/udev/70-ravao.rules
// covers printer-class devices and the usual scanner vendors; these rules
// cover the rest, e.g. a scanner of another brand mapped by its port path.

#include <string>
#include <string_view>

#include "config/config.hpp"

namespace ravao {

// The group the rules give access to: the one ravaod runs as
// (packaging/systemd/ravao.service).
inline constexpr std::string_view udev_group = "ravao";

// A rules file: a header saying what it is and how to install it, then for
// each usb-hid scanner and usb printer, in the order declared, a comment
// naming the entry and one rule on the USB device node libusb opens
// (/dev/bus/usb/BBB/DDD) giving udev_group mode 0660. The rule requires every
// criterion the entry gives, as ravaod does: ATTR{idVendor} and
// ATTR{idProduct} for usb_id, ATTR{serial} for usb_serial, KERNEL for
// usb_port. A printer without criteria gets the printer-class rule. An entry
// whose serial number a rule cannot match literally (a '"', '\\', a glob or
// substitution character, non-ASCII) gets a comment asking for a hand-written
// rule instead. Kinds that are not USB are left out.
std::string udev_rules(const config& c);

}  // namespace ravao
