#pragma once
// The JSON objects the control API shows a record and a device as: one
// element of `events` and of `devices`, and the objects `subscribe` pushes
// (the same ones, so a client reads the answer and the stream alike,
// docs/control.md). Personal data leaves only in the masked forms the store
// keeps (docs/privacy.md). Loop thread (the services' state lives there).

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "counter_service.hpp"
#include "print_service.hpp"
#include "store/rows.hpp"
#include "usb_access.hpp"

namespace ravao::control {

// One record as `events` lists it.
boost::json::object record_json(const record_row& e, std::chrono::minutes utc_offset);

// The devices as `devices` lists them. Takes a snapshot of which configured
// device holds which USB device at construction: make one per answer.
class device_views {
 public:
  device_views(const config& cfg, const usb_access& usb);
  boost::json::object scanner(const std::string& counter_id, const counter_service::counter_runtime& rt) const;
  boost::json::object printer(const std::string& printer_id, const print_service::printer_runtime& rt) const;
  // The USB devices no configured entry took.
  boost::json::array unassigned() const;

 private:
  std::string attached(const std::string& owner) const;
  boost::json::value usb_json(const std::string& owner) const;

  const config& cfg_;
  std::vector<usb::usb_bus::device_entry> usb_devices_;
  std::map<std::string, std::size_t> held_;  // owner ("scanner s1") -> its index in usb_devices_
};

}  // namespace ravao::control
