#include "web/registration.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/log.hpp"
#include "common/supervise.hpp"
#include "web/certificate.hpp"

namespace ravao::web {
namespace asio = boost::asio;
namespace json = boost::json;

registration::registration(asio::any_io_executor ex, control_client& control, std::string url, std::string fingerprint,
                           std::chrono::seconds period)
    : control_(control), url_(std::move(url)), fingerprint_(std::move(fingerprint)), period_(period), timer_(ex) {}

void registration::start() {
  supervision s;
  s.task = "web.register";
  s.stopped = [this] { return stopped_; };
  spawn_supervised(timer_.get_executor(), std::move(s), [this] { return run(); });
}

void registration::stop() {
  stopped_ = true;
  timer_.cancel();
}

asio::awaitable<void> registration::run() {
  while (!stopped_) {
    json::object request{{"cmd", "web.register"}, {"url", url_}, {"fingerprint", fingerprint_}};
    auto r = co_await control_.call(std::move(request));
    if (auto* f = std::get_if<control_failure>(&r)) {
      if (f->what == control_failure::kind::refused && f->message.find("unknown command") != std::string::npos) {
        if (!unsupported_logged_) {
          log::debug("web.register_unsupported", "this ravaod does not know web.register: status will not show the console",
                     {{"error", f->message}});
          unsupported_logged_ = true;
        }
      } else {
        log::debug("web.register_failed", "ravaod was not told where the console is", {{"error", f->message}});
      }
    }
    if (stopped_) co_return;
    timer_.expires_after(period_);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

std::string console_url(const web_config& c, unsigned short bound_port) {
  if (!c.public_url.empty()) return c.public_url;
  const auto addresses = reachable_addresses(c.listen);
  std::string host = addresses.empty() ? host_name() : addresses.front();
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return bound_port == 443 ? fmt::format("https://{}/", host) : fmt::format("https://{}:{}/", host, bound_port);
}

}  // namespace ravao::web
