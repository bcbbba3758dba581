#pragma once
// One request's outcome as the server builds it (server.cpp) and the session
// replies and logs it (session.cpp). Private to the server.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/status.hpp>
#include <boost/json.hpp>

#include "receiver/server.hpp"

namespace ravao::receiver {

struct server::exchange {
  endpoint where = endpoint::batches;

  boost::beast::http::status status = boost::beast::http::status::ok;
  std::string body;
  std::optional<std::int64_t> retry_after;
  bool drop = false;  // lost-ack: close without replying

  std::string gateway;  // for the log line and stats, when known
  std::string note;
  std::optional<std::int64_t> records, accepted, duplicates, store_ms;
  std::optional<std::int64_t> group;  // batches committed in the same transaction (group commit)

  void fail(boost::beast::http::status s, std::string_view message) {
    status = s;
    body = boost::json::serialize(boost::json::object{{"protocol", 1}, {"error", message}});
    note = message;
  }
};

}  // namespace ravao::receiver
