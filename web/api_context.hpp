#pragma once
// One API request as the endpoints see it (api.cpp builds it after the
// checks): private to web/api*.cpp.

#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "web/api.hpp"

namespace ravao::web {

struct api::call_context {
  const http_request& req;
  std::string path;
  std::optional<session> s;  // set for every endpoint but login
  std::string peer;          // the client's address
  boost::json::object body;  // a POST's JSON body
};

}  // namespace ravao::web
