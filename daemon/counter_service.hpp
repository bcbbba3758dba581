#pragma once
// The counters: each counter's scanner source, its frames sanitized and
// classified into scan requests for the committer, its device health, and
// the log lines of committed scans (scan.accepted, scan.duplicate, ...).
// Data flows one way: source -> frame -> classify -> committer; what the
// committer reports comes back through on_committed().
//
// Loop thread only. Owned by app; holds references to the configuration
// (app's, replaced in place by a reload), the committer and the USB bus,
// which outlive it. stop() stops every source; no frame is taken after it.

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "common/seal.hpp"
#include "config/config.hpp"
#include "device_health.hpp"
#include "drivers/flow_gate.hpp"
#include "drivers/scanner_source.hpp"
#include "store/committer.hpp"
#include "usb_access.hpp"

namespace ravao {

class counter_service {
 public:
  struct counter_runtime {
    counter_config cfg;
    scanner_config scanner;
    std::shared_ptr<scanner_source> source;
    device_health health;
    std::uint64_t frames = 0;
  };

  // sealer: scans are sealed with it on the loop (null: nothing personal
  // is kept); shared with the store's writer thread. on_change: something
  // the status line shows changed.
  counter_service(boost::asio::any_io_executor ex, const config& cfg, committer& writer, usb_access& usb,
                  std::shared_ptr<seal::window_sealer> sealer, std::function<void()> on_change);

  void start_all();
  // A reload, in two steps around the swap of the configuration: retire()
  // stops the counters the next configuration drops or changes (counter or
  // scanner settings), start_new() starts the configured ones not running.
  // Unchanged counters keep their open device: a scan in flight is never
  // lost to a reload.
  struct retired {
    int kept = 0;
    int stopped = 0;
  };
  retired retire(const config& next);
  int start_new();
  void stop();

  // Logs committed scans and keeps each counter's last event.
  void on_committed(const commit_report& report);

  const std::map<std::string, counter_runtime>& all() const { return counters_; }
  std::uint64_t scans_since_start() const { return accepted_; }

 private:
  void start(const counter_config& c);
  void on_frame(const std::string& counter_id, std::string_view raw);
  void on_overflow(const std::string& counter_id, std::size_t discarded, std::string_view head);
  void on_state(const std::string& counter_id, device_state s, std::string_view reason);
  void on_notice(const std::string& counter_id, std::string_view event, std::string_view message);

  const config& cfg_;
  committer& writer_;
  usb_access& usb_;
  std::shared_ptr<seal::window_sealer> sealer_;
  std::function<void()> on_change_;
  std::shared_ptr<flow_gate> gate_;  // closed while the committer is behind
  std::map<std::string, counter_runtime> counters_;
  std::uint64_t accepted_ = 0;
  bool stopping_ = false;
};

}  // namespace ravao
