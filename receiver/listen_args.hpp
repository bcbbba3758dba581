#pragma once
// Command-line values the two servers (serve, trace-serve) share; each
// throws usage_error (args.hpp) for a bad value.

#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "common/log.hpp"

namespace ravao::receiver {

// --listen: "127.0.0.1:8443", "[::1]:8443", "localhost:8443".
boost::asio::ip::tcp::endpoint parse_listen(const std::string& text);
// --log-level: debug, info, notice, warning, error.
log::level parse_level(const std::string& v);
// The endpoint as printed on the "listening on" line: "127.0.0.1:8443", "[::1]:8443".
std::string endpoint_text(const boost::asio::ip::tcp::endpoint& e);

}  // namespace ravao::receiver
