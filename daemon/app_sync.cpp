// Sync to the provincial server, as the daemon sees it (docs/sync.md): the
// uploader's life with the daemon's, `ravaoctl sync` and `sync now`, the
// heartbeat's view of counters and devices, and device events as records.

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "app.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"

namespace ravao {
namespace json = boost::json;

result<void> app::start_uploader() {
  set_time_sync_flag(cfg_.sync.time_sync_flag.native());
  uploader_ = std::make_unique<sync::uploader>(cfg_, *committer_, io_.get_executor(),
                                               sync::uploader::hooks{[this] { return heartbeat_snapshot(); }});
  if (auto r = uploader_->start(); !r) {
    uploader_.reset();
    sync_unavailable_ = r.error().message();
    return r;
  }
  sync_unavailable_.clear();
  if (cfg_.sync.enabled())
    log::info("sync.started", "uploading to the provincial server",
              {{"url", cfg_.sync.url}, {"gateway", cfg_.sync.effective_gateway_id(cfg_.site)}});
  else
    log::notice("sync.off", "no [sync] url: records are kept until sync is configured");
  if (cfg_.sync.public_key.empty())
    log::warning("privacy.no_key",
                 "no [sync] public_key: visitors' names and ID numbers are not kept (only masked forms)");
  schedule_sync_status();
  return {};
}

void app::stop_uploader() {
  if (uploader_) uploader_->stop();
  uploader_.reset();
  sync_status_timer_.cancel();
}

void app::schedule_sync_status() {
  // The queue depth and the store alarm change without a device event:
  // refresh STATUS= every few seconds (it is sent only when it changed).
  sync_status_timer_.expires_after(std::chrono::seconds(5));
  sync_status_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    status_changed();
    schedule_sync_status();
  });
}

json::object app::heartbeat_snapshot() const {
  json::array counters, devices;
  for (const auto& [id, rt] : counters_) {
    counters.push_back(json::object{{"id", id}, {"name", rt.cfg.name}, {"mode", to_string(rt.cfg.mode)},
                                    {"scanner", rt.scanner.id}});
    devices.push_back(json::object{{"id", rt.scanner.id}, {"role", "scanner"},
                                   {"online", rt.state == device_state::online},
                                   {"status", to_string(rt.state)}});
  }
  for (const auto& [id, rt] : printers_) {
    devices.push_back(json::object{{"id", id}, {"role", "printer"}, {"online", rt.state == device_state::online},
                                   {"status", to_string(rt.state)}});
  }
  return json::object{{"counters", std::move(counters)}, {"devices", std::move(devices)}};
}

void app::record_device_event(const std::string& device_id, std::string event) {
  if (!committer_ || stopping_) return;
  committer_->run_on_store([device_id, event = std::move(event)](store_writer& s) {
    if (auto r = s.log_device_event(device_id, event, now()); !r)
      log::error("store.device_event", "a device event could not be recorded",
                 {{"device", device_id}, {"error", r.error().message()}});
  });
}

std::vector<std::string> app::sync_alarms() const {
  std::vector<std::string> out;
  if (!uploader_) {
    if (!sync_unavailable_.empty()) out.push_back("sync could not start: " + sync_unavailable_);
    return out;
  }
  const auto s = uploader_->status();
  if (s.store_alarm)
    out.push_back(fmt::format("store is {} MiB, past [store] alarm_megabytes ({} MiB): {} records wait for upload",
                              s.store_bytes >> 20, cfg_.store.alarm_bytes >> 20, s.depth));
  if (!s.sealing) out.push_back("no [sync] public_key: names and ID numbers are not being kept");
  if (s.state == sync::sync_state::waiting_for_clock) out.push_back("sync: waiting for a synchronised clock");
  if (s.consecutive_failures > 0) out.push_back("sync: " + s.last_error);
  if (s.dead_letters > 0) out.push_back(fmt::format("sync: {} records refused by the server (ravaoctl sync)", s.dead_letters));
  return out;
}

json::value app::sync_json(const json::object& request) {
  if (!uploader_)
    throw std::runtime_error(sync_unavailable_.empty() ? std::string("sync is not running")
                                                       : "sync could not start: " + sync_unavailable_);
  if (request.contains("now") && request.at("now").is_bool() && request.at("now").as_bool()) uploader_->kick();
  json::object o = uploader_->status().to_json();
  o["gateway"] = cfg_.sync.effective_gateway_id(cfg_.site);
  // Site-local times for people; the _wall_ms fields stay for programs.
  const auto local = [&](std::string_view from, std::string_view to) {
    if (const auto* v = o.if_contains(from); v && v->is_int64()) o[to] = format_local(v->as_int64(), cfg_.site.utc_offset);
    else o[to] = "";
  };
  local("last_success_wall_ms", "last_success");
  local("last_error_wall_ms", "last_error_time");
  local("next_attempt_wall_ms", "next_attempt");
  local("oldest_unsent_wall_ms", "oldest_unsent");
  local("last_heartbeat_wall_ms", "last_heartbeat");
  json::array dead;
  if (auto d = reader_->dead_letters(20)) {
    for (const auto& [letter, wall_ms] : *d)
      dead.push_back(json::object{{"seq", letter.seq}, {"reason", letter.reason}, {"wall_ms", wall_ms}});
  }
  o["dead_letter_list"] = std::move(dead);
  return o;
}

}  // namespace ravao
