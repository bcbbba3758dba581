#pragma once
// One HTTP answer as the API builds it, before the connection adds the
// headers every response carries (connection.cpp: security headers, the
// cache policy). Plain data.

#include <string>
#include <utility>
#include <vector>

#include <boost/beast/http/status.hpp>
#include <boost/json/value.hpp>

namespace ravao::web {

enum class cache_policy {
  no_store,  // every API answer and every HTML page: personal data, never kept
  revalidate,  // static assets: Cache-Control: no-cache with their ETag
};

struct reply {
  boost::beast::http::status status = boost::beast::http::status::ok;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  cache_policy cache = cache_policy::no_store;
  std::vector<std::pair<std::string, std::string>> headers;  // extra: Set-Cookie, Location, Retry-After, ETag
};

// {"error": message} (Vietnamese: staff read it), JSON-escaped for the web.
reply error_reply(boost::beast::http::status status, std::string_view message);
reply json_reply(const boost::json::value& v, boost::beast::http::status status = boost::beast::http::status::ok);
reply redirect_reply(std::string_view location);

}  // namespace ravao::web
