// The counter endpoints (docs/console.md, "HTTP API"): a staff user's
// counters, today's visits, the last scan, check out and undo, the proxy
// declaration, slips. Each checks the counter against the session's binding
// before asking ravaod.

#include <algorithm>

#include <boost/json.hpp>

#include "web/api.hpp"
#include "web/api_context.hpp"
#include "web/device_text.hpp"
#include "web/request.hpp"

namespace ravao::web {
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

asio::awaitable<reply> api::counters(call_context& c) {
  json::object counters_request{{"cmd", "counters"}}, devices_request{{"cmd", "devices"}};
  auto counters = co_await control_.call(std::move(counters_request));
  if (auto* f = std::get_if<control_failure>(&counters)) co_return control_failure_reply(*f);
  auto devices = co_await control_.call(std::move(devices_request));
  const json::value no_devices = json::array{};
  const json::value& device_list = std::holds_alternative<control_reply>(devices)
                                       ? std::get<control_reply>(devices).result
                                       : no_devices;
  json::array out;
  const auto& all = std::get<control_reply>(counters).result;
  if (all.is_array()) {
    for (const auto& v : all.as_array()) {
      const auto* o = v.if_object();
      const auto* id = o ? o->if_contains("id") : nullptr;
      if (!id || !id->is_string()) continue;
      if (c.s->role == role::staff && std::ranges::find(c.s->counters, std::string_view(id->as_string())) == c.s->counters.end()) {
        continue;
      }
      out.push_back(counter_view(*o, device_list));
    }
  }
  co_return json_reply(out);
}

asio::awaitable<reply> api::visits(call_context& c) {
  auto counter = bound_counter(c, query_param(c.req.target(), "counter"));
  if (auto* refused = std::get_if<reply>(&counter)) co_return std::move(*refused);
  json::object request{{"cmd", "visits"}, {"since", "today"}, {"counter", std::get<std::string>(counter)}, {"limit", 1000}};
  co_return co_await relay(std::move(request));
}

asio::awaitable<reply> api::last_scan(call_context& c) {
  auto counter = bound_counter(c, query_param(c.req.target(), "counter"));
  if (auto* refused = std::get_if<reply>(&counter)) co_return std::move(*refused);
  json::object request{{"cmd", "last_scan"}, {"counter", std::get<std::string>(counter)}};
  co_return co_await relay(std::move(request));
}

asio::awaitable<reply> api::checkout(call_context& c) {
  auto counter = bound_counter(c, string_member(c.body, "counter"));
  if (auto* refused = std::get_if<reply>(&counter)) co_return std::move(*refused);
  json::object request{{"cmd", "visit.checkout"}, {"counter", std::get<std::string>(counter)}};
  if (c.body.contains("visit")) {
    auto visit = integer_field(c.body, "visit", 1, INT64_MAX);
    if (!visit) co_return error_reply(http::status::bad_request, "Số lượt khách không hợp lệ");
    request["visit"] = *visit;
  }
  co_return co_await write(c, std::move(request));
}

asio::awaitable<reply> api::undo(call_context& c) {
  auto counter = bound_counter(c, string_member(c.body, "counter"));
  if (auto* refused = std::get_if<reply>(&counter)) co_return std::move(*refused);
  json::object request{{"cmd", "visit.undo"}, {"counter", std::get<std::string>(counter)}};
  co_return co_await write(c, std::move(request));
}

asio::awaitable<reply> api::declare(call_context& c) {
  auto counter = bound_counter(c, string_member(c.body, "counter"));
  if (auto* refused = std::get_if<reply>(&counter)) co_return std::move(*refused);
  const auto* fields = c.body.if_contains("fields");
  auto pairs = declaration_fields(fields ? *fields : json::value(nullptr));
  if (!pairs) co_return error_reply(http::status::bad_request, "Dữ liệu khai báo không hợp lệ");
  json::object request{{"cmd", "declare"}, {"fields", std::move(*pairs)}};
  // With a slip, ravaod links the declaration to the slip's visit; the
  // counter is still checked above (the staff user's own counter).
  if (const auto slip = string_member(c.body, "slip"); slip && !slip->empty()) {
    if (slip->size() > 32) co_return error_reply(http::status::bad_request, "Số phiếu không hợp lệ");
    request["slip"] = *slip;
  } else {
    request["counter"] = std::get<std::string>(counter);
  }
  if (const auto* copy = c.body.if_contains("print_copy"); copy && copy->is_bool() && copy->as_bool()) {
    request["print_copy"] = true;
  }
  co_return co_await write(c, std::move(request));
}

asio::awaitable<reply> api::slip_print(call_context& c) {
  auto counter = bound_counter(c, string_member(c.body, "counter"));
  if (auto* refused = std::get_if<reply>(&counter)) co_return std::move(*refused);
  json::object request{{"cmd", "slip.print"}, {"counter", std::get<std::string>(counter)}};
  co_return co_await write(c, std::move(request));
}

asio::awaitable<reply> api::slip_reprint(call_context& c) {
  auto number = string_field(c.body, "number", 32);
  if (!number) co_return error_reply(http::status::bad_request, "Hãy nhập số phiếu");
  // A staff user reprints only with a counter of their own named (the page
  // sends the one it shows); the slip itself prints where it was issued.
  if (c.s->role == role::staff) {
    auto counter = bound_counter(c, string_member(c.body, "counter"));
    if (auto* refused = std::get_if<reply>(&counter)) co_return std::move(*refused);
  }
  json::object request{{"cmd", "slip.reprint"}, {"number", *number}};
  co_return co_await write(c, std::move(request));
}

}  // namespace ravao::web
