#pragma once
// ravao-web's configuration, /etc/ravao/web.toml (docs/console.md, "Server,
// certificate and ports"): one [web] table, every key declared once in
// config.cpp's table (name, type, default, doc), unknown keys refused, every
// problem reported as FILE:LINE: message. `--check-config` runs exactly this.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace ravao::web {

struct listen_address {
  std::string host;  // "0.0.0.0", "::", "192.168.1.10"
  unsigned short port = 0;
  std::string text() const;  // "0.0.0.0:443", "[::]:443"
};

struct web_config {
  listen_address listen{"0.0.0.0", 443};
  bool redirect_http = false;
  listen_address http_listen{"0.0.0.0", 80};
  std::optional<std::filesystem::path> certificate;  // with key; absent: self-signed in state_dir
  std::optional<std::filesystem::path> key;
  std::filesystem::path state_dir = "/var/lib/ravao-web";
  std::filesystem::path control_socket = "/run/ravao/ravaod.sock";
  std::chrono::seconds session_idle{15 * 60};
  std::chrono::seconds session_max{12 * 3600};
  std::string public_url;  // optional: the URL given to ravaod (web.register); else derived
};

inline constexpr std::string_view default_config_path = "/etc/ravao/web.toml";

// Every problem, one per line ("FILE:LINE: message"), in the error's context.
result<web_config> parse_web_config(std::string_view toml_text, const std::filesystem::path& file);
result<web_config> load_web_config(const std::filesystem::path& file);

// "host:port" or "[v6]:port".
result<listen_address> parse_listen(std::string_view text);
// "90s", "15m", "12h", "2d": at least one second.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

// The key table as Markdown rows (docs/console.md).
std::string describe_web_config_keys();

}  // namespace ravao::web
