#pragma once
// Sync to the provincial server as the daemon sees it (docs/sync.md): the
// uploader's life with the daemon's (started, restarted by a reload,
// stopped before the committer), the heartbeat's view of counters and
// devices, and the alarms sync raises in the status.
//
// Loop thread only (the uploader has a thread of its own and calls back
// through the loop: `changed` runs there when the uploader's status changed).
// Owned by app; holds references to the configuration, the committer and the
// counter and print services, which outlive it.

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "alarms.hpp"
#include "config/config.hpp"
#include "counter_service.hpp"
#include "print_service.hpp"
#include "store/committer.hpp"
#include "sync/uploader.hpp"

namespace ravao {

class sync_service {
 public:
  sync_service(boost::asio::any_io_executor ex, const config& cfg, committer& writer, const counter_service& counters,
               const print_service& printing, std::function<void()> changed);
  ~sync_service() { stop(); }

  // Sync that cannot start (a key file the user ravao cannot read, a bad
  // certificate) must not stop the counters: the reason is kept and shown
  // as an alarm until a reload with a fix.
  result<void> start();
  void stop();  // an upload in flight is abandoned: sent again next time

  sync::uploader* uploader() { return uploader_.get(); }
  const sync::uploader* uploader() const { return uploader_.get(); }
  // Why the uploader could not start; empty while it runs.
  const std::string& unavailable() const { return unavailable_; }
  std::vector<status_alarm> alarms() const;

 private:
  boost::json::object heartbeat_snapshot() const;

  boost::asio::any_io_executor ex_;
  const config& cfg_;
  committer& writer_;
  const counter_service& counters_;
  const print_service& printing_;
  std::function<void()> changed_;
  std::unique_ptr<sync::uploader> uploader_;  // its own thread
  std::string unavailable_;
};

}  // namespace ravao
