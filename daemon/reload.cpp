// SIGHUP: the configuration reloaded in place (docs/operations.md). A
// configuration that does not validate is rejected whole and the running
// one kept; site, store, the sealing key and the control socket need a
// restart; devices whose settings did not change keep running.

#include <fmt/format.h>

#include "app.hpp"
#include "common/log.hpp"
#include "common/notify.hpp"

namespace ravao {

void app::reload() {
  notify::reloading();
  log::info("config.reloading", "reloading configuration", {{"file", cfg_.source.string()}});
  auto next = load_config(cfg_.source);
  if (!next) {
    for (const auto& d : next.error()) {
      log::error("config.rejected", d.to_string(), {{"file", d.file}, {"line", std::to_string(d.line)}});
    }
    last_reload_ = fmt::format("rejected ({} errors); previous configuration kept", next.error().size());
    log::error("config.reload_failed", "new configuration rejected; the running one is kept",
               {{"errors", std::to_string(next.error().size())}});
    notify::ready();
    status_changed();
    return;
  }
  config n = std::move(*next);
  usb_.retry_if_unavailable();  // USB could not start before: try again if the new config needs it
  // Site, store and control need a restart; keep the running values.
  const auto restart_needed = [&](std::string_view what) {
    log::warning("config.restart_required", "change takes effect after a restart", {{"section", std::string(what)}});
  };
  if (n.site.id != cfg_.site.id || n.site.name != cfg_.site.name || n.site.utc_offset != cfg_.site.utc_offset) {
    restart_needed("site");
    n.site = cfg_.site;
  }
  if (n.store.path != cfg_.store.path || n.store.retention_days != cfg_.store.retention_days) {
    restart_needed("store");
    n.store = cfg_.store;
  }
  if (n.sync.public_key != cfg_.sync.public_key) {
    // The writing store seals with the key it was opened with.
    restart_needed("sync public_key");
    n.sync.public_key = cfg_.sync.public_key;
  }
  if (n.control.socket != cfg_.control.socket || n.control.group != cfg_.control.group) {
    restart_needed("control");
    n.control = cfg_.control;
  }
  // A counter the new configuration drops: its last scan goes now.
  for (const auto& c : cfg_.counters)
    if (!n.find_counter(c.id)) last_scans_.forget(c.id);
  const auto [kept, stopped] = counters_->retire(n);
  printing_->retire(n);
  const bool sync_changed = n.sync != cfg_.sync || n.store.alarm_bytes != cfg_.store.alarm_bytes;
  // In place: the services hold references to cfg_.
  cfg_ = std::move(n);
  if (sync_changed) {
    sync_->stop();
    if (auto r = sync_->start(); !r)
      log::error("sync.unavailable", "sync could not restart with the new settings", {{"error", r.error().message()}});
  }
  const int started = counters_->start_new();
  printing_->start_new();
  committer_->update_settings(cfg_.visits);
  last_reload_ = fmt::format("applied: {} counters kept, {} started, {} stopped", kept, started, stopped);
  log::info("config.reloaded", last_reload_,
            {{"kept", std::to_string(kept)}, {"started", std::to_string(started)}, {"stopped", std::to_string(stopped)}});
  notify::ready();
  status_changed();
}

}  // namespace ravao
