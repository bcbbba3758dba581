#include "control/subscriptions.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/log.hpp"
#include "common/supervise.hpp"
#include "control/args.hpp"
#include "control/json_views.hpp"

namespace ravao::control {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string event_line(std::string_view event, std::string_view key, json::value v) {
  return json::serialize(json::object{{"event", event}, {key, std::move(v)}}) + "\n";
}

// What a device's entry in `devices` says that a subscriber is told of.
std::string device_signature(const json::object& d) {
  const auto text = [&](std::string_view k) {
    const auto* v = d.if_contains(k);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  return text("state") + '\n' + text("paper") + '\n' + text("reason");
}

}  // namespace

subscriptions::subscriptions(asio::any_io_executor ex, sources s, std::int64_t last_seq,
                             std::chrono::milliseconds heartbeat)
    : ex_(ex), src_(s), sent_seq_(last_seq), heartbeat_(heartbeat), heartbeat_timer_(ex) {}

void subscriptions::subscribe(const json::object& request, std::shared_ptr<socket> sock) {
  if (stopped_) throw std::runtime_error("the daemon is stopping");
  auto s = std::make_shared<subscriber>();
  s->counter = arg_string(request, "counter");
  if (!s->counter.empty() && !src_.cfg.find_counter(s->counter))
    throw std::invalid_argument(fmt::format("no counter \"{}\" (see ravaoctl counters)", s->counter));
  if (subscribers_.size() >= max_subscribers)
    throw std::runtime_error(fmt::format("too many subscribers ({})", max_subscribers));
  s->sock = std::move(sock);
  subscribers_.push_back(s);
  log::info("control.subscribed", "a control connection subscribed to events",
            {{"counter", s->counter}, {"subscribers", std::to_string(subscribers_.size())}});
  // The answer goes first: every event after it concerns records after last_seq.
  send(s, json::serialize(json::object{
              {"ok", true}, {"result", json::object{{"subscribed", true}, {"last_seq", sent_seq_}}}}) + "\n");
  spawn_session(ex_, "control.subscriber", watch_close(s));
  arm_heartbeat();
}

// Reads what the client still sends, and drops it (a subscribed connection
// takes no requests), until it closes the connection or something here did.
asio::awaitable<void> subscriptions::watch_close(subscriber_ptr s) {
  std::array<char, 512> ignored{};
  boost::system::error_code ec;
  while (!ec && !s->closed)
    co_await s->sock->async_read_some(asio::buffer(ignored), asio::redirect_error(asio::use_awaitable, ec));
  if (!stopped_ && !s->closed) close(s, "");
}

void subscriptions::send(const subscriber_ptr& s, std::string line) {
  if (s->closed) return;
  if (s->unsent_bytes + line.size() > max_unsent) {
    close(s, fmt::format("more than {} bytes of events wait unsent", max_unsent));
    return;
  }
  s->unsent_bytes += line.size();
  s->unsent.push_back(std::move(line));
  if (!s->writing) write_next(s);
}

void subscriptions::write_next(const subscriber_ptr& s) {
  s->writing = true;
  // The line stays at the front of `unsent` (a deque: it does not move)
  // until the write completes; the handler owns the subscriber.
  asio::async_write(*s->sock, asio::buffer(s->unsent.front()),
                    [this, s](const boost::system::error_code& ec, std::size_t) {
                      s->writing = false;
                      if (s->closed) return;  // closed meanwhile (stop(), overflow): nothing more
                      if (ec) {
                        close(s, "");
                        return;
                      }
                      s->unsent_bytes -= s->unsent.front().size();
                      s->unsent.pop_front();
                      if (!s->unsent.empty()) write_next(s);
                    });
}

void subscriptions::close(subscriber_ptr s, std::string_view why) {
  if (s->closed) return;
  s->closed = true;
  boost::system::error_code ec;
  s->sock->close(ec);
  s->unsent.clear();
  s->unsent_bytes = 0;
  std::erase(subscribers_, s);
  if (!why.empty())
    log::warning("control.subscriber_dropped", "a subscriber was disconnected", {{"counter", s->counter}, {"reason", std::string(why)}});
}

void subscriptions::publish(const std::vector<std::string>& counters, const std::string& line) {
  // A copy: send() may close a subscriber, which erases it from the list.
  const auto targets = subscribers_;
  for (const auto& s : targets) {
    if (s->counter.empty() || std::find(counters.begin(), counters.end(), s->counter) != counters.end())
      send(s, line);
  }
}

void subscriptions::records_committed(std::int64_t last_seq) {
  if (stopped_ || last_seq <= sent_seq_) return;
  if (subscribers_.empty()) {
    sent_seq_ = last_seq;
    return;
  }
  while (sent_seq_ < last_seq) {
    record_filter f;
    f.after_seq = sent_seq_;
    f.limit = 1000;
    auto rows = src_.reader.records(f);
    if (!rows) {
      // Tried again with the next commit report; nothing is skipped.
      log::warning("control.subscribe_read_failed", "records for subscribers could not be read; retried at the next commit",
                   {{"error", rows.error().message()}});
      return;
    }
    if (rows->empty()) {
      sent_seq_ = last_seq;  // not expected: the report follows the COMMIT
      return;
    }
    for (const auto& r : *rows) {
      publish({r.counter_id}, event_line("record", "record", record_json(r, src_.cfg.site.utc_offset)));
      sent_seq_ = r.seq;
    }
  }
}

void subscriptions::devices_changed() {
  if (stopped_) return;
  const device_views views(src_.cfg, src_.usb);
  const auto changed = [&](const std::string& key, const json::object& d) {
    std::string sig = device_signature(d);
    auto [it, added] = device_seen_.try_emplace(key, sig);
    if (!added && it->second == sig) return false;
    it->second = std::move(sig);
    return true;
  };
  for (const auto& [id, rt] : src_.counters.all()) {
    json::object d = views.scanner(id, rt);
    if (changed("scanner " + id, d)) publish({id}, event_line("device", "device", std::move(d)));
  }
  for (const auto& [id, rt] : src_.printing.all()) {
    json::object d = views.printer(id, rt);
    if (!changed("printer " + id, d)) continue;
    std::vector<std::string> counters;
    for (const auto& c : src_.cfg.counters)
      if (c.printer == id) counters.push_back(c.id);
    publish(counters, event_line("device", "device", std::move(d)));
  }
}

void subscriptions::arm_heartbeat() {
  if (heartbeat_armed_ || stopped_) return;
  heartbeat_armed_ = true;
  heartbeat_timer_.expires_after(heartbeat_);
  heartbeat_timer_.async_wait([this](const boost::system::error_code& ec) {
    heartbeat_armed_ = false;
    if (ec || stopped_ || subscribers_.empty()) return;  // the next subscriber arms it again
    const std::string line =
        json::serialize(json::object{{"event", "heartbeat"}, {"now", format_local(now().wall_ms, src_.cfg.site.utc_offset)}}) +
        "\n";
    const auto targets = subscribers_;
    for (const auto& s : targets) send(s, line);
    arm_heartbeat();
  });
}

void subscriptions::stop() {
  stopped_ = true;
  heartbeat_timer_.cancel();
  const auto all = subscribers_;
  for (const auto& s : all) close(s, "");
}

}  // namespace ravao::control
