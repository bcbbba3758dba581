// GET /api/events: ravaod's `subscribe` stream relayed to the browser as
// Server-Sent Events (docs/console.md, "HTTP API"). One control connection
// per client. Three activities share one relay state on the I/O thread:
//   * the pump reads ravaod's lines and queues them as SSE events;
//   * the watch reads from the client (a browser sends nothing more: any
//     completion, EOF or error, means it left);
//   * the writer (this coroutine) sends what is queued, or ": keepalive"
//     after `keepalive_every` of silence, each write within write_timeout.
// Whichever ends first marks the relay done and wakes the writer, which then
// closes both connections; the pump and the watch then end, holding the
// state (shared_ptr) until they do. The queue is bounded: a client that
// reads slower than events arrive is dropped (its EventSource reconnects).

#include <array>
#include <deque>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/log.hpp"
#include "common/supervise.hpp"
#include "web/reports.hpp"
#include "web/server.hpp"

namespace ravao::web {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;

namespace {

// One line from ravaod as one SSE event: {"event":"record","record":{..}}
// becomes "event: record\ndata: {..}\n\n" (the object JSON-escaped for the
// web). The subscribe reply and lines that are not such objects are
// skipped.
std::optional<std::string> to_sse(std::string_view line) {
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  const auto* name = o.if_contains("event");
  if (!name || !name->is_string()) return std::nullopt;
  const std::string_view event = name->as_string();
  if (event != "record" && event != "device" && event != "heartbeat") return std::nullopt;
  const auto* data = o.if_contains(event);
  return fmt::format("event: {}\ndata: {}\n\n", event, web_json(data ? *data : v));
}

struct relay_state {
  explicit relay_state(asio::any_io_executor ex) : wake(ex) {}
  asio::steady_timer wake;  // the writer waits on it; cancel() wakes it
  std::deque<std::string> queue;
  std::size_t queued_bytes = 0;
  bool done = false;
  std::string why;  // why it ended, for the log

  void finish(std::string reason) {
    if (done) return;
    done = true;
    why = std::move(reason);
    wake.cancel();
  }
};

asio::awaitable<void> pump(std::shared_ptr<relay_state> st, std::shared_ptr<subscription> sub, std::size_t max_bytes) {
  while (!st->done) {
    auto line = co_await sub->next_line();
    if (!line) {
      st->finish("ravaod closed the subscription");
      co_return;
    }
    auto event = to_sse(*line);
    if (!event || st->done) continue;
    st->queued_bytes += event->size();
    st->queue.push_back(std::move(*event));
    if (st->queued_bytes > max_bytes) {
      st->finish("the client reads too slowly");
      co_return;
    }
    st->wake.cancel();
  }
}

template <class Stream>
asio::awaitable<void> watch(std::shared_ptr<relay_state> st, std::shared_ptr<Stream> stream) {
  std::array<char, 512> scratch;
  boost::system::error_code ec;
  co_await stream->async_read_some(asio::buffer(scratch), asio::redirect_error(asio::use_awaitable, ec));
  st->finish(ec ? "the client closed" : "the client sent data on an event stream");
}

}  // namespace

asio::awaitable<void> web_server::relay_events(std::shared_ptr<tls_stream> stream, event_stream what,
                                               unsigned http_version) {
  auto& lowest = beast::get_lowest_layer(*stream);
  boost::system::error_code ec;
  auto with_ec = asio::redirect_error(asio::use_awaitable, ec);
  auto subscribed = co_await control_.subscribe(what.counter);
  if (auto* f = std::get_if<control_failure>(&subscribed)) {
    reply r = api::control_failure_reply(*f);
    http::response<http::string_body> rep{r.status, http_version};
    set_common_headers(rep, r.cache);
    rep.set(http::field::content_type, r.content_type);
    rep.keep_alive(false);
    rep.body() = std::move(r.body);
    rep.prepare_payload();
    lowest.expires_after(limits_.write_timeout);
    co_await http::async_write(*stream, rep, with_ec);
    lowest.close();
    co_return;
  }
  std::shared_ptr<subscription> sub = std::move(std::get<std::unique_ptr<subscription>>(subscribed));
  log::info("web.events_opened", "an event stream opened",
            {{"user", what.user}, {"counter", what.counter.value_or("*")}});

  // The header, with no length: the body ends when the connection closes.
  http::response<http::empty_body> head{http::status::ok, http_version};
  set_common_headers(head, cache_policy::no_store);
  head.set(http::field::content_type, "text/event-stream; charset=utf-8");
  head.set("X-Accel-Buffering", "no");
  head.keep_alive(false);
  http::response_serializer<http::empty_body> serializer(head);
  lowest.expires_after(limits_.write_timeout);
  co_await http::async_write_header(*stream, serializer, with_ec);

  auto st = std::make_shared<relay_state>(ex_);
  if (ec) st->finish("the client closed");
  st->queue.push_back("retry: 2000\n\n");
  // Neither throws (every error is a result that ends the relay); if one
  // did, spawn_session logs it and the writer still ends at its deadline.
  spawn_session(ex_, "web.events_pump", pump(st, sub, limits_.max_event_buffer));
  // The watch's read waits as long as the stream lasts. A beast stream gives
  // a read the deadline set before it started and later expires_after()
  // calls do not move it: left at the header's write_timeout, it would end
  // every stream after 30 s (the page reconnects, late by ~2 s). A dead
  // client is found by the keepalive writes' own deadlines instead.
  lowest.expires_never();
  spawn_session(ex_, "web.events_watch", watch(st, stream));
  while (!st->done && !stopped_) {
    if (st->queue.empty()) {
      st->wake.expires_after(limits_.keepalive_every);
      boost::system::error_code wait_ec;
      co_await st->wake.async_wait(asio::redirect_error(asio::use_awaitable, wait_ec));
      if (st->done) break;
      if (!wait_ec && st->queue.empty()) st->queue.push_back(": keepalive\n\n");
      continue;
    }
    std::string chunk;
    while (!st->queue.empty()) {
      chunk += st->queue.front();
      st->queue.pop_front();
    }
    st->queued_bytes = 0;
    lowest.expires_after(limits_.write_timeout);
    co_await asio::async_write(*stream, asio::buffer(chunk), with_ec);
    if (ec) st->finish(ec == beast::error::timeout ? "a write to the client stalled" : "the client closed");
  }
  st->finish("the server stops");
  sub->close();
  lowest.close();
  log::info("web.events_closed", "an event stream closed",
            {{"user", what.user}, {"counter", what.counter.value_or("*")}, {"reason", st->why}});
}

}  // namespace ravao::web
