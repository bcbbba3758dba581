// The API's front door: the checks every request passes (route, session,
// Origin, CSRF), login and logout, and the static pages. The endpoints
// themselves are in api_counter.cpp and api_supervisor.cpp.

#include "web/api.hpp"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/log.hpp"
#include "common/text.hpp"
#include "web/api_context.hpp"
#include "web/auth/csrf.hpp"
#include "web/assets.hpp"
#include "web/request.hpp"

namespace ravao::web {
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr std::string_view cookie_name = "ravao_session";
constexpr std::string_view cookie_flags = "; Path=/; Secure; HttpOnly; SameSite=Strict";

// Runs on the verifier pool: owns its inputs; the store is thread-safe.
// Re-reads users.json first, so an account `ravao-web user add` made a
// moment ago can log in.
asio::awaitable<result<account>> verify_on_pool(account_store& accounts, std::string user, std::string password) {
  (void)accounts.refresh();  // a bad file keeps the accounts in memory; main logs it
  co_return accounts.verify(user, password);
}

std::string session_cookie(const session& s) { return fmt::format("{}={}{}", cookie_name, s.id, cookie_flags); }

}  // namespace

api::api(asio::any_io_executor ex, control_client& control, account_store& accounts, session_table& sessions,
         login_throttle& throttle, asio::thread_pool& verifier)
    : ex_(std::move(ex)),
      control_(control),
      accounts_(accounts),
      sessions_(sessions),
      throttle_(throttle),
      verifier_(verifier) {}

asio::awaitable<api_outcome> api::handle(const http_request& req, const std::string& peer_address) {
  const auto path = target_path(req.target());
  if (!path) co_return error_reply(http::status::bad_request, "Địa chỉ không hợp lệ");
  std::optional<session> s;
  if (const auto id = cookie_value(req[http::field::cookie], cookie_name)) {
    s = sessions_.find(*id, session_table::clock::now());
  }
  if (!path->starts_with("/api/")) {
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      co_return error_reply(http::status::method_not_allowed, "Phương thức không được phép");
    }
    co_return static_page(req, s);
  }
  call_context c{req, *path, s, peer_address, {}};
  if (req.method() == http::verb::post) {
    if (!origin_allowed(req[http::field::origin], req[http::field::host])) {
      log::warning("web.origin_refused", "a POST from another origin was refused",
                   {{"path", text::escape_for_log(*path)}, {"origin", text::escape_for_log(req[http::field::origin])},
                    {"address", peer_address}});
      co_return error_reply(http::status::forbidden, "Yêu cầu từ trang khác bị từ chối");
    }
    if (*path != "/api/login") {
      if (!s) co_return error_reply(http::status::unauthorized, "Phiên làm việc đã hết: hãy đăng nhập lại");
      if (!csrf_token_valid(*s, req["X-CSRF-Token"])) {
        log::warning("web.csrf_refused", "a POST without the session's CSRF token was refused",
                     {{"user", s->user}, {"path", text::escape_for_log(*path)}, {"address", peer_address}});
        co_return error_reply(http::status::forbidden, "Phiên làm việc không khớp: hãy tải lại trang");
      }
    }
    if (!req.body().empty() || *path != "/api/logout") {
      auto body = parse_json_object(req.body());
      if (!body) co_return error_reply(http::status::bad_request, "Dữ liệu gửi lên không hợp lệ");
      c.body = std::move(*body);
    }
  } else if (req.method() != http::verb::get && req.method() != http::verb::head) {
    co_return error_reply(http::status::method_not_allowed, "Phương thức không được phép");
  }
  if (*path == "/api/login") {
    if (req.method() != http::verb::post) co_return error_reply(http::status::method_not_allowed, "Phương thức không được phép");
    co_return co_await login(c);
  }
  if (!s) co_return error_reply(http::status::unauthorized, "Chưa đăng nhập");
  if (*path == "/api/events" && req.method() == http::verb::get) {
    if (s->role == role::supervisor && !query_param(req.target(), "counter")) co_return event_stream{std::nullopt, s->user};
    auto counter = bound_counter(c, query_param(req.target(), "counter"));
    if (auto* refused = std::get_if<reply>(&counter)) co_return std::move(*refused);
    co_return event_stream{std::get<std::string>(counter), s->user};
  }
  co_return co_await route_api(c);
}

asio::awaitable<reply> api::route_api(call_context& c) {
  const bool post = c.req.method() == http::verb::post;
  const std::string& p = c.path;
  if (!post) {
    if (p == "/api/session") co_return co_await session_info(*c.s);
    if (p == "/api/counters") co_return co_await counters(c);
    if (p == "/api/visits") co_return co_await visits(c);
    if (p == "/api/last-scan") co_return co_await last_scan(c);
    if (p == "/api/form") {
      json::object request{{"cmd", "form"}};
      co_return co_await relay(std::move(request));
    }
  } else {
    if (p == "/api/logout") co_return logout(c);
    if (p == "/api/visits/checkout") co_return co_await checkout(c);
    if (p == "/api/visits/undo") co_return co_await undo(c);
    if (p == "/api/declare") co_return co_await declare(c);
    if (p == "/api/slips/print") co_return co_await slip_print(c);
    if (p == "/api/slips/reprint") co_return co_await slip_reprint(c);
  }
  const bool supervisor_get = p == "/api/overview" || p == "/api/summary" || p == "/api/summary.csv" ||
                              p == "/api/chart/hourly.svg";
  const bool supervisor_post = p == "/api/cards/print" || p == "/api/poster/print";
  if ((supervisor_get && !post) || (supervisor_post && post)) {
    if (c.s->role != role::supervisor) {
      log::warning("web.forbidden", "a staff account asked for a supervisor endpoint",
                   {{"user", c.s->user}, {"path", p}, {"address", c.peer}});
      co_return error_reply(http::status::forbidden, "Chỉ quản lý được xem hoặc làm việc này");
    }
    if (p == "/api/overview") co_return co_await overview(c);
    if (p == "/api/summary") co_return co_await summary(c, "json");
    if (p == "/api/summary.csv") co_return co_await summary(c, "csv");
    if (p == "/api/chart/hourly.svg") co_return co_await summary(c, "svg");
    if (p == "/api/cards/print") co_return co_await print_for_counter(c, "card.print");
    co_return co_await print_for_counter(c, "poster.print");
  }
  co_return error_reply(http::status::not_found, "Không có chức năng này");
}

asio::awaitable<reply> api::login(call_context& c) {
  auto user = string_field(c.body, "user", 64);
  auto password = string_field(c.body, "password", 256);
  if (!user || !password) co_return error_reply(http::status::bad_request, "Hãy nhập tên đăng nhập và mật khẩu");
  if (const auto wait = throttle_.check(*user, c.peer, login_throttle::clock::now())) {
    const auto seconds = std::chrono::ceil<std::chrono::seconds>(*wait).count();
    auto r = error_reply(http::status::too_many_requests,
                         fmt::format("Đăng nhập sai nhiều lần: hãy thử lại sau {} giây", seconds));
    r.headers.emplace_back("Retry-After", std::to_string(seconds));
    co_return r;
  }
  auto verified = co_await asio::co_spawn(verifier_, verify_on_pool(accounts_, *user, *password), asio::use_awaitable);
  if (!verified) {
    const auto code = verified.error().code;
    if (code != std::errc::permission_denied && code != std::errc::operation_not_permitted) {
      log::error("web.login_error", "a login could not be checked", {{"error", verified.error().message()}});
      co_return error_reply(http::status::service_unavailable, "Không kiểm tra được mật khẩu lúc này: hãy thử lại");
    }
    throttle_.failed(*user, c.peer, login_throttle::clock::now());
    if (code == std::errc::operation_not_permitted) {
      co_return error_reply(http::status::forbidden, "Tài khoản này đã bị khóa: hãy hỏi quản lý");
    }
    co_return error_reply(http::status::unauthorized, "Sai tên đăng nhập hoặc mật khẩu");
  }
  throttle_.succeeded(*user, c.peer);
  // Never keep an id the browser brought (session fixation): the old
  // session, if any, ends; the new one has a fresh id.
  if (const auto old = cookie_value(c.req[http::field::cookie], cookie_name)) sessions_.remove(*old);
  const session s = sessions_.create(*verified, c.peer, session_table::clock::now());
  log::info("web.login", "logged in", {{"user", s.user}, {"role", std::string(to_string(s.role))}, {"address", c.peer}});
  reply r = co_await session_info(s);
  r.headers.emplace_back("Set-Cookie", session_cookie(s));
  co_return r;
}

reply api::logout(call_context& c) {
  sessions_.remove(c.s->id);
  log::info("web.logout", "logged out", {{"user", c.s->user}, {"address", c.peer}});
  reply r = json_reply(json::object{{"logged_out", true}});
  r.headers.emplace_back("Set-Cookie", fmt::format("{}={}; Max-Age=0", cookie_name, cookie_flags));
  return r;
}

asio::awaitable<reply> api::session_info(const session& s) {
  json::array counters;
  json::object request{{"cmd", "counters"}};
  auto known = co_await control_.call(std::move(request));
  const json::array* configured = nullptr;
  if (auto* ok = std::get_if<control_reply>(&known); ok && ok->result.is_array()) configured = &ok->result.as_array();
  const auto name_of = [&](std::string_view id) -> json::value {
    if (configured) {
      for (const auto& c : *configured) {
        const auto* o = c.if_object();
        if (o && o->if_contains("id") && o->at("id") == json::value(id)) return o->at("name");
      }
    }
    return json::string(id);
  };
  if (s.role == role::supervisor) {
    if (configured) {
      for (const auto& c : *configured) {
        if (const auto* o = c.if_object()) counters.push_back(json::object{{"id", o->at("id")}, {"name", o->at("name")}});
      }
    }
  } else {
    for (const auto& id : s.counters) counters.push_back(json::object{{"id", id}, {"name", name_of(id)}});
  }
  co_return json_reply(json::object{{"user", s.user},
                                    {"role", to_string(s.role)},
                                    {"counters", std::move(counters)},
                                    {"csrf", s.csrf}});
}

reply api::static_page(const http_request& req, const std::optional<session>& s) {
  const auto path = target_path(req.target()).value_or("/");
  if (path == "/") {
    if (!s) return redirect_reply("/login.html");
    if (s->role == role::supervisor) return redirect_reply("/supervisor.html");
    return redirect_reply(s->counters.empty() ? "/login.html" : "/counter.html?c=" + s->counters.front());
  }
  const asset* a = find_asset(path);
  if (!a) return error_reply(http::status::not_found, "Không có trang này");
  reply r;
  r.content_type = std::string(a->content_type);
  const bool html = a->content_type.starts_with("text/html");
  r.cache = html ? cache_policy::no_store : cache_policy::revalidate;
  if (!html) {
    r.headers.emplace_back("ETag", std::string(a->etag));
    if (req[http::field::if_none_match] == a->etag) {
      r.status = http::status::not_modified;
      return r;
    }
  }
  if (req.method() != http::verb::head) r.body = std::string(a->text());
  return r;
}

std::variant<std::string, reply> api::bound_counter(call_context& c, std::optional<std::string> counter) {
  if (!counter || !valid_counter_id(*counter)) return error_reply(http::status::bad_request, "Thiếu hoặc sai mã quầy");
  if (c.s->role == role::staff && std::ranges::find(c.s->counters, *counter) == c.s->counters.end()) {
    log::warning("web.forbidden", "a staff account asked for a counter not bound to it",
                 {{"user", c.s->user}, {"counter", text::escape_for_log(*counter)}, {"path", c.path}, {"address", c.peer}});
    return error_reply(http::status::forbidden, "Tài khoản này không làm việc ở quầy đó");
  }
  return std::move(*counter);
}

reply api::control_failure_reply(const control_failure& f) {
  using kind = control_failure::kind;
  switch (f.what) {
    case kind::unavailable:
      log::warning("web.control_unavailable", "ravaod cannot be reached", {{"error", f.message}});
      return error_reply(http::status::service_unavailable,
                         "Không kết nối được với dịch vụ ravao ở quầy. Hãy chờ một phút rồi thử lại; nếu vẫn "
                         "không được, báo cho quản lý.");
    case kind::timeout:
      log::warning("web.control_unavailable", "ravaod did not answer in time", {{"error", f.message}});
      return error_reply(http::status::gateway_timeout,
                         "Dịch vụ ravao không trả lời kịp. Hãy thử lại; nếu vẫn không được, báo cho quản lý.");
    case kind::protocol:
      return error_reply(http::status::bad_gateway, "Dịch vụ ravao trả lời không hợp lệ: báo cho quản lý.");
    case kind::refused: break;
  }
  if (const auto* errors = f.reply.if_contains("field_errors"); errors && errors->is_array()) {
    json::object by_field;
    for (const auto& e : errors->as_array()) {
      const auto* o = e.if_object();
      if (!o || !o->if_contains("field") || !o->at("field").is_string()) continue;
      const auto* vi = o->if_contains("message_vi");
      const auto* en = o->if_contains("message");
      by_field[o->at("field").as_string()] = vi ? *vi : en ? *en : json::value("Không hợp lệ");
    }
    return json_reply(json::object{{"error", "Có thông tin chưa đúng: xem các ô được đánh dấu"},
                                   {"field_errors", std::move(by_field)},
                                   {"detail", f.message}},
                      http::status::unprocessable_entity);
  }
  return json_reply(json::object{{"error", "Không thực hiện được: " + f.message}, {"detail", f.message}},
                    http::status::conflict);
}

asio::awaitable<reply> api::relay(json::object request) {
  auto r = co_await control_.call(std::move(request));
  if (auto* f = std::get_if<control_failure>(&r)) co_return control_failure_reply(*f);
  co_return json_reply(std::get<control_reply>(r).result);
}

asio::awaitable<reply> api::write(call_context& c, json::object request) {
  const std::string cmd(request.at("cmd").as_string());
  request["actor"] = "web:" + c.s->user;
  auto r = co_await control_.call(std::move(request));
  if (auto* f = std::get_if<control_failure>(&r)) {
    log::info("web.action_failed", "an action from the console was not done",
              {{"user", c.s->user}, {"command", cmd}, {"error", text::escape_for_log(f->message, 200)}});
    co_return control_failure_reply(*f);
  }
  log::info("web.action", "an action from the console was done", {{"user", c.s->user}, {"command", cmd}});
  co_return json_reply(std::get<control_reply>(r).result);
}

}  // namespace ravao::web
