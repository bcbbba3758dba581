#include "web/reply.hpp"

#include <boost/json.hpp>

#include "web/reports.hpp"

namespace ravao::web {

reply error_reply(boost::beast::http::status status, std::string_view message) {
  return json_reply(boost::json::object{{"error", message}}, status);
}

reply json_reply(const boost::json::value& v, boost::beast::http::status status) {
  reply r;
  r.status = status;
  r.body = web_json(v);
  return r;
}

reply redirect_reply(std::string_view location) {
  reply r;
  r.status = boost::beast::http::status::found;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.emplace_back("Location", std::string(location));
  return r;
}

}  // namespace ravao::web
