#include "web/control_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

namespace ravao::web {
namespace asio = boost::asio;
namespace json = boost::json;
using local = asio::local::stream_protocol;

namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

std::string take_line(asio::streambuf& buffer, std::size_t n) {
  std::string line(asio::buffers_begin(buffer.data()), asio::buffers_begin(buffer.data()) + static_cast<std::ptrdiff_t>(n));
  buffer.consume(n);
  if (!line.empty() && line.back() == '\n') line.pop_back();
  return line;
}

}  // namespace

control_client::control_client(asio::any_io_executor ex, std::filesystem::path socket, std::chrono::milliseconds timeout)
    : ex_(std::move(ex)), socket_(std::move(socket)), timeout_(timeout) {}

asio::awaitable<std::variant<json::object, control_failure>> control_client::exchange(local::socket& s,
                                                                                      asio::streambuf& buffer,
                                                                                      const json::object& request) {
  using kind = control_failure::kind;
  // The deadline closes the socket, which ends whatever step is pending. The
  // timer's handler holds the flag by shared_ptr: it may run after this frame.
  auto expired = std::make_shared<bool>(false);
  asio::steady_timer deadline(ex_, timeout_);
  deadline.async_wait([expired, &s](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: `s` may be gone, not touched
    *expired = true;
    boost::system::error_code ignored;
    s.close(ignored);
  });
  auto [ec] = co_await s.async_connect(local::endpoint(socket_.string()), tuple_awaitable);
  if (ec) {
    deadline.cancel();
    co_return control_failure{kind::unavailable, fmt::format("cannot connect to {}: {}", socket_.string(), ec.message()), {}};
  }
  const std::string line = json::serialize(request) + "\n";
  auto [wec, written] = co_await asio::async_write(s, asio::buffer(line), tuple_awaitable);
  std::size_t n = 0;
  if (!wec) std::tie(wec, n) = co_await asio::async_read_until(s, buffer, '\n', tuple_awaitable);
  deadline.cancel();
  if (wec) {
    if (*expired) co_return control_failure{kind::timeout, fmt::format("ravaod did not answer within {} ms", timeout_.count()), {}};
    co_return control_failure{kind::unavailable, fmt::format("ravaod closed the connection: {}", wec.message()), {}};
  }
  boost::system::error_code pec;
  auto reply = json::parse(take_line(buffer, n), pec);
  if (pec || !reply.is_object()) co_return control_failure{kind::protocol, "ravaod's reply is not a JSON object", {}};
  auto& obj = reply.as_object();
  if (const auto* ok = obj.if_contains("ok"); !ok || !ok->is_bool() || !ok->as_bool()) {
    const auto* err = obj.if_contains("error");
    std::string message = err && err->is_string() ? std::string(err->as_string()) : "ravaod refused the request";
    co_return control_failure{kind::refused, std::move(message), std::move(obj)};
  }
  co_return std::move(obj);
}

asio::awaitable<control_result> control_client::call(json::object request) {
  local::socket s(ex_);
  asio::streambuf buffer(1 << 24);  // a `visits` answer may be large; bounded all the same
  auto r = co_await exchange(s, buffer, request);
  if (auto* f = std::get_if<control_failure>(&r)) co_return std::move(*f);
  auto& obj = std::get<json::object>(r);
  json::value result = obj.contains("result") ? obj["result"] : json::value(nullptr);
  co_return control_reply{std::move(result)};
}

asio::awaitable<std::variant<std::unique_ptr<subscription>, control_failure>> control_client::subscribe(
    std::optional<std::string> counter) {
  local::socket s(ex_);
  asio::streambuf buffer(1 << 20);
  json::object request{{"cmd", "subscribe"}};
  if (counter) request["counter"] = *counter;
  auto r = co_await exchange(s, buffer, request);
  if (auto* f = std::get_if<control_failure>(&r)) co_return std::move(*f);
  auto sub = std::make_unique<subscription>(std::move(s));
  // Lines ravaod pushed right behind its reply are kept.
  if (buffer.size() > 0) {
    auto in = buffer.data();
    sub->preload(std::string(asio::buffers_begin(in), asio::buffers_end(in)));
  }
  co_return std::move(sub);
}

void subscription::preload(std::string_view bytes) {
  auto out = buffer_.prepare(bytes.size());
  asio::buffer_copy(out, asio::buffer(bytes));
  buffer_.commit(bytes.size());
}

asio::awaitable<std::optional<std::string>> subscription::next_line() {
  auto [ec, n] = co_await asio::async_read_until(socket_, buffer_, '\n', tuple_awaitable);
  if (ec) co_return std::nullopt;
  co_return take_line(buffer_, n);
}

void subscription::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

}  // namespace ravao::web
