// The supervisor's endpoints (docs/console.md, "HTTP API"): the overview of
// every counter, the week's summary as JSON and CSV, today's chart, and the
// command cards and the check-in poster printed at a counter. api.cpp has
// already refused staff accounts (403).

#include <boost/json.hpp>
#include <fmt/format.h>

#include "web/api.hpp"
#include "web/api_context.hpp"
#include "web/device_text.hpp"
#include "web/reports.hpp"
#include "web/request.hpp"

namespace ravao::web {
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

asio::awaitable<reply> api::overview(call_context&) {
  json::object out;
  for (const char* cmd : {"status", "counters", "devices", "sync"}) {
    json::object request{{"cmd", cmd}};
    auto r = co_await control_.call(std::move(request));
    if (auto* f = std::get_if<control_failure>(&r)) co_return control_failure_reply(*f);
    out[cmd] = std::move(std::get<control_reply>(r).result);
  }
  // The counters as the counter page shows them, with their devices in words.
  json::array views;
  if (out["counters"].is_array()) {
    for (const auto& c : out["counters"].as_array()) {
      if (const auto* o = c.if_object()) views.push_back(counter_view(*o, out["devices"]));
    }
  }
  out["counter_views"] = std::move(views);
  co_return json_reply(out);
}

asio::awaitable<reply> api::summary(call_context& c, std::string_view format) {
  std::int64_t days = 7;
  if (const auto d = query_param(c.req.target(), "days")) {
    try {
      std::size_t used = 0;
      days = std::stoll(*d, &used);
      if (used != d->size() || days < 1 || days > 31) days = 0;
    } catch (const std::exception&) {
      days = 0;
    }
    if (days == 0) co_return error_reply(http::status::bad_request, "Số ngày phải từ 1 đến 31");
  }
  json::object request{{"cmd", "summary"}, {"days", format == "svg" ? 1 : days}};
  auto r = co_await control_.call(std::move(request));
  if (auto* f = std::get_if<control_failure>(&r)) co_return control_failure_reply(*f);
  const auto& result = std::get<control_reply>(r).result;
  if (format == "json") co_return json_reply(result);
  reply out;
  if (format == "csv") {
    out.content_type = "text/csv; charset=utf-8";
    out.body = summary_csv(result);
    out.headers.emplace_back("Content-Disposition", fmt::format("attachment; filename=\"ravao-{}-ngay.csv\"", days));
  } else {
    out.content_type = "image/svg+xml";
    out.body = hourly_svg(result, "Lượt khách theo giờ hôm nay");
  }
  co_return out;
}

asio::awaitable<reply> api::print_for_counter(call_context& c, std::string_view cmd) {
  auto counter = bound_counter(c, string_member(c.body, "counter"));
  if (auto* refused = std::get_if<reply>(&counter)) co_return std::move(*refused);
  json::object request{{"cmd", cmd}, {"counter", std::get<std::string>(counter)}};
  co_return co_await write(c, std::move(request));
}

}  // namespace ravao::web
