// The `form` control command (docs/control.md): the declaration form as
// configured ([form], slip/form_definition.hpp), for the web page to draw and
// ravaoctl to list. The consent sentence comes with the configured retention
// filled in, as the slip prints it.

#include <boost/json.hpp>

#include "control/commands.hpp"
#include "slip/form_definition.hpp"

namespace ravao {

boost::asio::awaitable<boost::json::value> control_commands::form(const boost::json::object&) {
  co_return slip::to_json(s_.cfg.form, s_.cfg.store.retention_days);
}

}  // namespace ravao
