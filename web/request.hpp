#pragma once
// What ravao-web reads from a request, as pure functions over untrusted
// bytes: the query string, the session cookie, the Origin check, JSON bodies
// and the declaration's fields. Total: any input gives a value or an error,
// never a crash or an exception (tests/fuzz/web_request_fuzz.cpp drives them
// all). Limits are part of each contract.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "common/error.hpp"

namespace ravao::web {

inline constexpr std::size_t max_body_bytes = 64 * 1024;
inline constexpr std::size_t max_header_bytes = 8 * 1024;
inline constexpr std::size_t max_text_field = 2000;  // one form value, in bytes

// The path of an origin-form target ("/api/visits?counter=a" -> "/api/visits");
// nullopt when the target is not origin-form.
std::optional<std::string> target_path(std::string_view target);
// The first value of query parameter `name`, percent-decoded; nullopt when
// absent or when the target does not parse.
std::optional<std::string> query_param(std::string_view target, std::string_view name);

// The value of cookie `name` in a Cookie header ("a=1; ravao_session=ff..").
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

// True when an Origin header is absent (empty) or names exactly this server:
// "https://" + the request's Host. "null" and every other origin are refused.
bool origin_allowed(std::string_view origin, std::string_view host);

// A JSON object body of at most max_body_bytes, nesting at most 8 deep, valid
// UTF-8 (Boost.JSON checks it).
result<boost::json::object> parse_json_object(std::string_view body);

// obj[key] as a string of 1..max bytes of valid, control-free UTF-8.
result<std::string> string_field(const boost::json::object& obj, std::string_view key, std::size_t max = 200);
// obj[key] when it is a string (unchecked: the caller validates), else nullopt.
std::optional<std::string> string_member(const boost::json::object& obj, std::string_view key);
// obj[key] as an integer in [lo, hi].
result<std::int64_t> integer_field(const boost::json::object& obj, std::string_view key, std::int64_t lo,
                                   std::int64_t hi);




// The declaration's fields from the page ({"name":"...","phone":"..."}) as
// ravaod's `declare` takes them ([["name","..."],...]): at most 40 fields,
// names 1..32 of [a-z0-9_], values strings of at most max_text_field bytes
// (newlines allowed: an address may have them; other controls refused).
result<boost::json::array> declaration_fields(const boost::json::value& fields);

}  // namespace ravao::web
