#pragma once
// The registry of log event names: every event any ravao program emits, once,
// with its level, when it happens and its fields. docs/log-events.md is
// generated from it (`ravaod --print-log-events`), and
// tests/common/log_events_test.cpp checks both ways: every name the sources
// log is here, and every name here is logged somewhere. Adding an event is
// one line in log_events.cpp.

#include <span>
#include <string>
#include <string_view>

namespace ravao::log {

struct event_doc {
  std::string_view program;  // "ravaod", "ravao-receiver", or "every program"
  std::string_view name;     // area.event, lower_snake_case
  std::string_view level;    // "info", or "info/warning" when the event has two
  std::string_view when;
  std::string_view fields;   // `key`, ... or "(message only)" / "—"
};

std::span<const event_doc> registered_events();
bool is_registered(std::string_view name);

// docs/log-events.md: one Markdown table per program.
std::string describe_log_events();

}  // namespace ravao::log
