#include "control/args.hpp"

#include <fmt/format.h>

#include "common/text.hpp"
#include "control/peer_access.hpp"

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

bool arg_bool(const boost::json::object& r, std::string_view key) {
  const auto* v = r.if_contains(key);
  if (!v || v->is_null()) return false;
  if (!v->is_bool()) throw std::invalid_argument(fmt::format("\"{}\" must be true or false", key));
  return v->as_bool();
}

std::string arg_actor(const boost::json::object& r) {
  if (const auto* v = r.if_contains("actor"); !v || v->is_null()) return {};
  std::string actor = arg_string(r, "actor");
  if (!valid_actor(actor))
    throw std::invalid_argument(fmt::format("\"actor\" \"{}\" must be 1 to 64 of A-Z a-z 0-9 . _ @ : - "
                                            "(e.g. \"web:alice\")", text::escape_for_log(actor, 80)));
  return actor;
}

}  // namespace ravao::control
