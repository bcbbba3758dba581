#include "receiver/listen_args.hpp"

#include <fmt/format.h>

#include "receiver/args.hpp"

namespace ravao::receiver {
namespace asio = boost::asio;

asio::ip::tcp::endpoint parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) throw usage_error(fmt::format("--listen {}: expected ADDR:PORT", text));
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) throw usage_error(fmt::format("--listen {}: \"{}\" is not an IP address", text, host));
  const auto port = parse_integer(std::string_view(text).substr(colon + 1), "--listen port", 0, 65535);
  return {address, static_cast<unsigned short>(port)};
}

log::level parse_level(const std::string& v) {
  if (v == "debug") return log::level::debug;
  if (v == "info") return log::level::info;
  if (v == "notice") return log::level::notice;
  if (v == "warning") return log::level::warning;
  if (v == "error") return log::level::error;
  throw usage_error(fmt::format("--log-level: unknown level \"{}\" (debug, info, notice, warning, error)", v));
}

std::string endpoint_text(const asio::ip::tcp::endpoint& e) {
  return e.address().is_v6() ? fmt::format("[{}]:{}", e.address().to_string(), e.port())
                             : fmt::format("{}:{}", e.address().to_string(), e.port());
}

}  // namespace ravao::receiver
