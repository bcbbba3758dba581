// The control API's commands for the counter console, ravao-web
// (docs/control.md): the clear fields of a counter's last scan, and where
// the console is. `subscribe` is a stream, not a command: subscriptions.hpp.

#include <boost/json.hpp>

#include "common/log.hpp"
#include "control/args.hpp"
#include "control/commands.hpp"

namespace ravao {
namespace asio = boost::asio;
namespace json = boost::json;

asio::awaitable<json::value> control_commands::last_scan(const json::object& r) {
  // ravaod cannot know web sessions: ravao-web gives these only to a
  // session bound to the counter (docs/privacy.md).
  const counter_config& c = counter_arg(control::arg_string(r, "counter"));
  co_return s_.last_scans.find(c.id);
}

asio::awaitable<json::value> control_commands::web_register(const json::object& r) {
  const bool changed = control::unwrap(s_.web.register_console(r));
  if (changed) {
    const auto web = s_.web.current();
    log::info("control.web_registered", "the counter console registered its address",
              {{"url", web->url}, {"fingerprint", web->fingerprint}});
  }
  co_return json::object{{"registered", true}};
}

}  // namespace ravao
