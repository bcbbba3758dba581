#pragma once
// Request arguments of the control API (docs/control.md), checked the same
// way by every command: a wrong type or range throws std::invalid_argument,
// which the control server answers as {"ok":false,"error":what()}.

#include <boost/json/object.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace ravao::control {

// The string `key`; empty when absent or null.
std::string arg_string(const boost::json::object& r, std::string_view key);
// "limit": an integer from 1 to 100000; `fallback` when absent or null.
int arg_limit(const boost::json::object& r, int fallback = 200);
// The boolean `key`; false when absent or null.
bool arg_bool(const boost::json::object& r, std::string_view key);
// "actor": who a record written for this request names (docs/control.md,
// "Actor"); empty when absent or null, std::invalid_argument when it is not
// 1 to 64 of A-Z a-z 0-9 . _ @ : -
std::string arg_actor(const boost::json::object& r);

// The value, or std::runtime_error with the error's message.
template <class T>
T unwrap(result<T> r) {
  if (!r) throw std::runtime_error(r.error().message());
  return std::move(*r);
}

}  // namespace ravao::control
