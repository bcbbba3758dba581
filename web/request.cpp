#include "web/request.hpp"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include "common/text.hpp"

namespace ravao::web {
namespace json = boost::json;

std::optional<std::string> target_path(std::string_view target) {
  auto u = boost::urls::parse_origin_form(target);
  if (!u) return std::nullopt;
  return std::string(u->path());
}

std::optional<std::string> query_param(std::string_view target, std::string_view name) {
  auto u = boost::urls::parse_origin_form(target);
  if (!u) return std::nullopt;
  for (const auto& p : u->params()) {
    if (p.key == name) return std::string(p.value);
  }
  return std::nullopt;
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (pair.substr(0, eq) == name) {
      std::string_view value = pair.substr(eq + 1);
      while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
      return std::string(value);
    }
  }
  return std::nullopt;
}

bool origin_allowed(std::string_view origin, std::string_view host) {
  if (origin.empty()) return true;
  if (host.empty() || !origin.starts_with("https://")) return false;
  origin.remove_prefix(8);
  // Host may carry the default port or not; the browser leaves :443 out.
  const auto strip_443 = [](std::string_view s) { return s.ends_with(":443") ? s.substr(0, s.size() - 4) : s; };
  return strip_443(origin) == strip_443(host);
}

result<json::object> parse_json_object(std::string_view body) {
  if (body.size() > max_body_bytes) return fail(errc::invalid_argument, "body too large");
  json::parse_options opt;
  opt.max_depth = 8;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec, {}, opt);
  if (ec) return fail(errc::invalid_argument, "the body is not JSON: " + ec.message());
  if (!v.is_object()) return fail(errc::invalid_argument, "the body must be a JSON object");
  return std::move(v.as_object());
}

result<std::string> string_field(const json::object& obj, std::string_view key, std::size_t max) {
  const auto* v = obj.if_contains(key);
  if (!v || !v->is_string()) return fail(errc::invalid_argument, fmt::format("\"{}\" must be a string", key));
  const std::string_view s = v->as_string();
  if (s.empty() || s.size() > max) return fail(errc::invalid_argument, fmt::format("\"{}\" must have 1 to {} bytes", key, max));
  if (text::first_control(s)) return fail(errc::invalid_argument, fmt::format("\"{}\" holds control characters", key));
  return std::string(s);
}

std::optional<std::string> string_member(const json::object& obj, std::string_view key) {
  const auto* v = obj.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

result<std::int64_t> integer_field(const json::object& obj, std::string_view key, std::int64_t lo, std::int64_t hi) {
  const auto* v = obj.if_contains(key);
  if (!v || !v->is_int64() || v->as_int64() < lo || v->as_int64() > hi) {
    return fail(errc::invalid_argument, fmt::format("\"{}\" must be an integer from {} to {}", key, lo, hi));
  }
  return v->as_int64();
}

result<json::array> declaration_fields(const json::value& fields) {
  if (!fields.is_object()) return fail(errc::invalid_argument, "\"fields\" must be an object");
  const auto& obj = fields.as_object();
  if (obj.size() > 40) return fail(errc::invalid_argument, "too many fields (at most 40)");
  json::array out;
  for (const auto& [k, v] : obj) {
    const std::string_view name = k;
    const bool name_ok = !name.empty() && name.size() <= 32 && std::ranges::all_of(name, [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
    if (!name_ok) return fail(errc::invalid_argument, fmt::format("unknown field name \"{}\"", text::escape_for_log(name)));
    if (!v.is_string()) return fail(errc::invalid_argument, fmt::format("field \"{}\" must be a string", name));
    const std::string_view value = v.as_string();
    if (value.size() > max_text_field) return fail(errc::invalid_argument, fmt::format("field \"{}\" is too long", name));
    // As unsigned char: plain char is unsigned on ARM, where `c >= 0` was
    // always true (-Wtype-limits); UTF-8 bytes (0x80..0xff) pass either way.
    if (std::ranges::any_of(value, [](char c) {
          const auto u = static_cast<unsigned char>(c);
          return (u < 0x20 && c != '\n' && c != '\t') || u == 0x7f;
        })) {
      return fail(errc::invalid_argument, fmt::format("field \"{}\" holds control characters", name));
    }
    if (value.empty()) continue;  // an empty input is no answer
    out.push_back(json::array{json::string(name), json::string(value)});
  }
  return out;
}

}  // namespace ravao::web
