#include "app.hpp"

#include <boost/asio/post.hpp>

#include <fmt/format.h>

#include "common/log.hpp"
#include "common/notify.hpp"

namespace ravao {
namespace asio = boost::asio;

namespace {
constexpr auto expiry_period = std::chrono::seconds(30);
}  // namespace

app::app(asio::io_context& io, config cfg)
    : io_(io),
      cfg_(std::move(cfg)),
      usb_(io.get_executor()),
      last_scans_(io.get_executor()),
      control_(io.get_executor(), [this](const boost::json::object& r) { return commands_->handle(r); }),
      signals_(io, SIGTERM, SIGINT, SIGHUP),
      expiry_timer_(io),
      seal_wipe_timer_(io),
      watchdog_timer_(io),
      status_timer_(io) {}

app::~app() {
  if (sync_) sync_->stop();
  if (committer_) committer_->stop();
}

result<void> app::start() {
  set_time_sync_flag(cfg_.sync.time_sync_flag.native());
  started_ms_ = now().wall_ms;
  store_options options;
  options.utc_offset = cfg_.site.utc_offset;
  if (!cfg_.sync.public_key.empty()) {
    auto key = seal::parse_public_key(cfg_.sync.public_key);
    if (!key) return fail(errc::config_invalid, "[sync] public_key: " + key.error().message());
    options.province_key = *key;
    // One window key for scans (sealed on the loop) and declarations
    // (sealed on the writer thread); schedule_seal_wipe() ends idle windows.
    sealer_ = options.sealer = std::make_shared<seal::window_sealer>(*key);
  }  // else: nothing personal is kept; sync_service raises the privacy.no_key alarm
  auto s = store_writer::open(cfg_.store.path, options);
  if (!s) return std::unexpected(s.error());
  const store_health health = s->health();
  if (health.recovered_now) {
    log::critical("store.corrupt",
                  "the store was corrupt and has been moved aside (kept, not deleted); a fresh store was started",
                  {{"path", cfg_.store.path.string()}, {"moved_to", health.recovered_from}});
  }
  store_recovered_ = health.recovered_now;
  if (auto n = s->requeue_interrupted_jobs(); n && *n > 0)
    log::warning("print.requeued", "print jobs interrupted by the last stop will be printed again",
                 {{"count", std::to_string(*n)}});
  committer_ = std::make_unique<committer>(
      std::move(*s), cfg_.visits, cfg_.store.retention_days, io_.get_executor(),
      [this](commit_report r) { on_committed(std::move(r)); },
      [this](const error& e, std::size_t pending) { on_store_failure(e, pending); });
  auto ro = store_reader::open(cfg_.store.path, cfg_.site.utc_offset);
  if (!ro) return std::unexpected(ro.error());
  reader_ = std::move(*ro);

  const auto changed = [this] { services_changed(); };
  counters_ = std::make_unique<counter_service>(io_.get_executor(), cfg_, *committer_, usb_, sealer_, changed);
  printing_ = std::make_unique<print_service>(io_.get_executor(), cfg_, *committer_, *reader_, usb_, changed);
  scanned_commands_ = std::make_unique<scanned_commands>(cfg_, *committer_, *printing_, changed);
  // The uploader says when its status changed (the queue, the store alarm,
  // sync errors): STATUS= needs no refresh timer.
  sync_ = std::make_unique<sync_service>(io_.get_executor(), cfg_, *committer_, *counters_, *printing_, changed);
  commands_ = std::make_unique<control_commands>(control_commands::services{
      cfg_, *committer_, *reader_, *counters_, *printing_, *sync_, usb_, [this] { return status_json(); },
      last_scans_, web_});
  subscriptions_ = std::make_unique<control::subscriptions>(
      io_.get_executor(), control::subscriptions::sources{cfg_, *reader_, *counters_, *printing_, usb_},
      committer_->totals().last_seq);
  control_.add_stream("subscribe", [this](const boost::json::object& r, control_server::socket_ptr sock) {
    subscriptions_->subscribe(r, std::move(sock));
  });

  // Sync that cannot start must not stop the counters: they record, the
  // records wait, and the reason shows as an alarm.
  if (auto r = sync_->start(); !r)
    log::error("sync.unavailable", "sync could not start; the counters keep recording and the records wait",
               {{"error", r.error().message()}});
  if (auto r = control_.listen(cfg_.control.socket, cfg_.control.group); !r) return r;
  counters_->start_all();
  printing_->start_all();

  wait_signals();
  committer_->expire(now());  // visits left open by a previous run
  schedule_expiry();
  schedule_seal_wipe();
  if (auto wd = notify::watchdog_interval()) schedule_watchdog(*wd);
  log::info("daemon.started", "ravaod is running",
            {{"site", cfg_.site.id}, {"counters", std::to_string(cfg_.counters.size())},
             {"store", cfg_.store.path.string()}, {"socket", cfg_.control.socket.string()},
             {"version", RAVAO_VERSION}});
  notify::ready();
  status_changed();
  return {};
}

void app::on_committed(commit_report report) {
  counters_->on_committed(report);
  // The clear fields of identity scans, kept once the scan is committed
  // (its visit is known): the newest per counter, for 120 s.
  for (const auto& s : report.scans)
    if (s.outcome.visit_id != 0)
      last_scans_.remember(s.request.counter_id, s.request.payload,
                           format_local(s.request.at.wall_ms, cfg_.site.utc_offset), s.outcome.visit_id);
  subscriptions_->records_committed(report.totals.last_seq);
  for (const auto& s : report.scans)
    if (s.outcome.effect == scan_effect::command_recorded) scanned_commands_->on_command(s);
  if (report.expired_closed > 0) {
    log::info("visit.auto_closed", "open visits closed automatically",
              {{"count", std::to_string(report.expired_closed)}});
  }
  if (!store_available_) {
    store_available_ = true;
    log::notice("store.recovered", "the store accepts writes again; queued scans were committed");
  }
  status_changed();
}

void app::services_changed() {
  status_changed();
  if (subscriptions_) subscriptions_->devices_changed();
}

void app::on_store_failure(const error& e, std::size_t pending) {
  if (e.code == make_error_code(errc::store_corrupt) && !stopping_) {
    // Retrying cannot help and moving a file aside under open connections is
    // unsafe; start-up does it properly. Unacknowledged scans are not lost on
    // serial scanners (they wait in the tty); the exit code makes systemd
    // restart us.
    log::critical("store.corrupt", "the store became corrupt while running; restarting to move it aside",
                  {{"error", e.message()}, {"pending", std::to_string(pending)}});
    exit_code_ = 1;
    shutdown("store corrupt");
    return;
  }
  if (store_available_) {
    store_available_ = false;
    log::critical("store.unavailable",
                  "cannot write the store; scans are held in memory and retried (free disk space?)",
                  {{"error", e.message()}, {"pending", std::to_string(pending)}});
    status_changed();
  }
}

void app::stop_failed(std::string why) {
  asio::post(io_, [this, why = std::move(why)] {
    exit_code_ = 1;
    shutdown(why);
  });
}

void app::wait_signals() {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      reload();
      wait_signals();
      return;
    }
    shutdown(sig == SIGTERM ? "SIGTERM" : "SIGINT");
  });
}

void app::shutdown(std::string_view why) {
  if (stopping_) return;
  stopping_ = true;
  notify::stopping();
  log::info("daemon.stopping", "stopping: no new scans; committing what is in flight", {{"signal", std::string(why)}});
  counters_->stop();
  printing_->stop();
  // Once the devices have given their interfaces back (usbhid, usblp reattached).
  if (auto* bus = usb_.bus())
    bus->shutdown(std::chrono::milliseconds(2000), [this] {
      // A device never gave its transfers back: stop the loop so the store
      // is closed and the daemon exits; the kernel releases the device.
      log::warning("daemon.stopped_with_usb_open", "stopping without waiting for USB devices any longer");
      io_.stop();
    });
  control_.stop();
  subscriptions_->stop();
  last_scans_.clear();
  signals_.cancel();
  expiry_timer_.cancel();
  seal_wipe_timer_.cancel();
  watchdog_timer_.cancel();
  status_timer_.cancel();
  sync_->stop();  // an upload in flight is abandoned: sent again next time
  // Drains and commits the queue; its last reports are posted to the loop,
  // which runs them (scan.accepted lines) before run() returns.
  committer_->stop();
  const store_state st = committer_->state();
  if (!st.available) {
    log::error("daemon.stopped_with_pending", "store unavailable at shutdown; unacknowledged scans were not saved",
               {{"error", st.last_error}});
    exit_code_ = 1;
  }
  asio::post(io_, [] { log::info("daemon.stopped", "ravaod stopped"); });
}

void app::schedule_expiry() {
  expiry_timer_.expires_after(expiry_period);
  expiry_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    committer_->expire(now());
    schedule_expiry();
  });
}

void app::schedule_seal_wipe() {
  // A sealing window ends by time even when no record comes: wake when the
  // open window ends (or, with none open, once per window length to look
  // again: a window opened meanwhile ends no earlier than that) and wipe
  // its key. An idle gateway wakes here once every 5 minutes.
  if (!sealer_) return;
  const auto ends = sealer_->wipe_if_ended();
  seal_wipe_timer_.expires_at(ends ? *ends : seal::window_sealer::clock::now() + sealer_->window_limits().window);
  seal_wipe_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    schedule_seal_wipe();
  });
}

void app::schedule_watchdog(std::chrono::microseconds interval) {
  // Pinged from the loop: a loop stuck anywhere stops the pings and systemd
  // restarts us. A store stuck in a write does not block the loop, but a
  // committer that fails for longer than the interval still pings: it is
  // alive, retrying, and says so in STATUS.
  notify::watchdog();
  watchdog_timer_.expires_after(interval);
  watchdog_timer_.async_wait([this, interval](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    schedule_watchdog(interval);
  });
}

}  // namespace ravao
