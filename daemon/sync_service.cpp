#include "sync_service.hpp"

#include <fmt/format.h>

#include "common/text.hpp"

#include "common/clock.hpp"
#include "common/log.hpp"

namespace ravao {
namespace json = boost::json;

sync_service::sync_service(boost::asio::any_io_executor ex, const config& cfg, committer& writer,
                           const counter_service& counters, const print_service& printing,
                           std::function<void()> changed)
    : ex_(std::move(ex)), cfg_(cfg), writer_(writer), counters_(counters), printing_(printing),
      changed_(std::move(changed)) {}

result<void> sync_service::start() {
  set_time_sync_flag(cfg_.sync.time_sync_flag.native());
  uploader_ = std::make_unique<sync::uploader>(cfg_, writer_, ex_,
                                               sync::uploader::hooks{[this] { return heartbeat_snapshot(); }, changed_});
  if (auto r = uploader_->start(); !r) {
    uploader_.reset();
    unavailable_ = r.error().message();
    return r;
  }
  unavailable_.clear();
  if (cfg_.sync.enabled())
    log::info("sync.started", "uploading to the provincial server",
              {{"url", cfg_.sync.url}, {"gateway", cfg_.sync.effective_gateway_id(cfg_.site)}});
  else
    log::notice("sync.off", "no [sync] url: records are kept until sync is configured");
  if (cfg_.sync.public_key.empty())
    log::warning("privacy.no_key",
                 "no [sync] public_key: visitors' names and ID numbers are not kept (only masked forms)");
  return {};
}

void sync_service::stop() {
  if (uploader_) uploader_->stop();
  uploader_.reset();
}

json::object sync_service::heartbeat_snapshot() const {
  json::array counters, devices;
  for (const auto& [id, rt] : counters_.all()) {
    counters.push_back(json::object{{"id", id}, {"name", rt.cfg.name}, {"mode", to_string(rt.cfg.mode)},
                                    {"scanner", rt.scanner.id}});
    devices.push_back(json::object{{"id", rt.scanner.id}, {"role", "scanner"},
                                   {"online", rt.health.state == device_state::online},
                                   {"status", to_string(rt.health.state)}});
  }
  for (const auto& [id, rt] : printing_.all()) {
    devices.push_back(json::object{{"id", id}, {"role", "printer"}, {"online", rt.health.state == device_state::online},
                                   {"status", to_string(rt.health.state)}});
  }
  return json::object{{"counters", std::move(counters)}, {"devices", std::move(devices)}};
}

std::vector<status_alarm> sync_service::alarms() const {
  std::vector<status_alarm> out;
  const auto add = [&](alarm_code c, std::string message) {
    out.push_back(status_alarm{c, std::move(message), {}, {}});
  };
  if (!uploader_) {
    if (!unavailable_.empty()) add(alarm_code::sync_unavailable, "sync could not start: " + unavailable_);
    return out;
  }
  const auto s = uploader_->status();
  if (s.store_alarm)
    add(alarm_code::store_size,
        fmt::format("store is {} MiB, past [store] alarm_megabytes ({} MiB): {} records wait for upload",
                    s.store_bytes >> 20, cfg_.store.alarm_bytes >> 20, s.depth));
  if (!s.sealing) add(alarm_code::privacy_no_key, "no [sync] public_key: names and ID numbers are not being kept");
  if (s.state == sync::sync_state::waiting_for_clock)
    add(alarm_code::clock_unsynchronised, "sync: waiting for a synchronised clock");
  if (!s.conflict_seqs.empty())
    add(alarm_code::sync_conflict,
        fmt::format("sync: CONFLICT: the server holds other content for record #{} (HTTP 409): uploads are "
                    "held, nothing is deleted; the province must investigate (ravaoctl sync)",
                    s.conflict_seqs.front()));
  if (s.consecutive_failures > 0 && s.conflict_seqs.empty()) add(alarm_code::sync_failing, "sync: " + s.last_error);
  if (s.held > 0)
    add(alarm_code::sync_held,
        fmt::format("sync: the server does not know record type {}: {} records kept and sent again with each "
                    "heartbeat; upgrade ravao-receiver at the province", text::join(s.held_types), s.held));
  if (s.dead_letters > s.held)
    add(alarm_code::sync_refused,
        fmt::format("sync: {} records refused by the server (ravaoctl sync)", s.dead_letters - s.held));
  return out;
}

}  // namespace ravao
