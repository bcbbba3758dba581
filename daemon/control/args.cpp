#include "control/args.hpp"

#include <fmt/format.h>

namespace ravao::control {

std::string arg_string(const boost::json::object& r, std::string_view key) {
  const auto* v = r.if_contains(key);
  if (!v || v->is_null()) return {};
  if (!v->is_string()) throw std::invalid_argument(fmt::format("\"{}\" must be a string", key));
  return std::string(v->as_string());
}

int arg_limit(const boost::json::object& r, int fallback) {
  const auto* v = r.if_contains("limit");
  if (!v || v->is_null()) return fallback;
  if (!v->is_int64() || v->as_int64() < 1 || v->as_int64() > 100'000)
    throw std::invalid_argument("\"limit\" must be an integer from 1 to 100000");
  return static_cast<int>(v->as_int64());
}

}  // namespace ravao::control
