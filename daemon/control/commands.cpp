#include "control/commands.hpp"

#include <fmt/format.h>

#include <array>

#include "common/text.hpp"
#include "control/args.hpp"

namespace ravao {
namespace json = boost::json;

std::span<const control_commands::command> control_commands::table() {
  static constexpr std::array<command, 21> commands{{
      {"status", &control_commands::status},
      {"counters", &control_commands::counters},
      {"visits", &control_commands::visits},
      {"events", &control_commands::events},
      {"devices", &control_commands::devices},
      {"ping", &control_commands::ping},
      {"slip.print", &control_commands::slip_print},
      {"slip.reprint", &control_commands::slip_reprint},
      {"slip.preview", &control_commands::slip_preview},
      {"card.print", &control_commands::card_print},
      {"printer.test", &control_commands::printer_test},
      {"jobs", &control_commands::jobs},
      {"declare", &control_commands::declare},
      {"form", &control_commands::form},
      {"sync", &control_commands::sync},
      {"visit.checkout", &control_commands::visit_checkout},
      {"visit.undo", &control_commands::visit_undo},
      {"poster.print", &control_commands::poster_print},
      {"summary", &control_commands::summary},
      {"last_scan", &control_commands::last_scan},
      {"web.register", &control_commands::web_register},
  }};
  return commands;
}

boost::asio::awaitable<json::value> control_commands::handle(const json::object& request,
                                                             const control_peer& peer) {
  const std::string cmd = control::arg_string(request, "cmd");
  for (const auto& c : table()) {
    if (c.name != cmd) continue;
    json::object resolved = request;
    const std::string actor = control::arg_actor(request);
    resolved["actor"] = actor.empty() ? unix_actor(peer) : actor;
    co_return co_await (this->*c.run)(resolved);
  }
  std::vector<std::string> known;
  for (const auto& c : table()) known.emplace_back(c.name);
  throw std::invalid_argument(fmt::format("unknown command \"{}\" (expected {})", cmd, text::join(known)));
}

const counter_config& control_commands::counter_arg(const std::string& id) const {
  const counter_config* c = s_.cfg.find_counter(id);
  if (!c) throw std::invalid_argument(fmt::format("no counter \"{}\" (see ravaoctl counters)", id));
  return *c;
}

}  // namespace ravao
