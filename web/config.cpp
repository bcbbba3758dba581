#include "web/config.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "common/text.hpp"

namespace ravao::web {
namespace {

constexpr std::size_t max_config_bytes = 256 * 1024;

// One key: its name, its TOML type, its default as written in the docs, what
// it means, and how a value is stored (an error message, or empty).
struct key_spec {
  std::string_view name;
  toml::node_type type;
  std::string_view default_text;
  std::string_view doc;
  std::function<std::string(web_config&, const toml::node&)> apply;
};

std::string as_listen(listen_address& into, const toml::node& n) {
  auto parsed = parse_listen(n.value_or(std::string_view{}));
  if (!parsed) return parsed.error().context;
  into = *parsed;
  return {};
}

std::string as_duration(std::chrono::seconds& into, const toml::node& n) {
  const auto text = n.value_or(std::string_view{});
  const auto d = parse_duration(text);
  if (!d) return fmt::format("\"{}\" is not a duration (e.g. \"90s\", \"15m\", \"12h\", \"2d\")", text::escape_for_log(text));
  into = *d;
  return {};
}

std::string as_absolute_path(std::filesystem::path& into, const toml::node& n) {
  const std::filesystem::path p(n.value_or(std::string_view{}));
  if (!p.is_absolute()) return fmt::format("\"{}\" must be an absolute path", text::escape_for_log(p.string()));
  into = p;
  return {};
}

std::string as_optional_path(std::optional<std::filesystem::path>& into, const toml::node& n) {
  std::filesystem::path p;
  if (auto e = as_absolute_path(p, n); !e.empty()) return e;
  into = p;
  return {};
}

const std::vector<key_spec>& keys() {
  using nt = toml::node_type;
  static const std::vector<key_spec> table{
      {"listen", nt::string, "\"0.0.0.0:443\"", "address and port of the HTTPS console",
       [](web_config& c, const toml::node& n) { return as_listen(c.listen, n); }},
      {"redirect_http", nt::boolean, "false", "also listen on `http_listen`, only to redirect to HTTPS (301)",
       [](web_config& c, const toml::node& n) { c.redirect_http = n.value_or(false); return std::string(); }},
      {"http_listen", nt::string, "\"0.0.0.0:80\"", "the plain-HTTP redirect listener (with `redirect_http`)",
       [](web_config& c, const toml::node& n) { return as_listen(c.http_listen, n); }},
      {"certificate", nt::string, "(none)", "PEM certificate chain; absent: a self-signed one made at first start in `state_dir`",
       [](web_config& c, const toml::node& n) { return as_optional_path(c.certificate, n); }},
      {"key", nt::string, "(none)", "PEM private key of `certificate` (unencrypted)",
       [](web_config& c, const toml::node& n) { return as_optional_path(c.key, n); }},
      {"state_dir", nt::string, "\"/var/lib/ravao-web\"", "accounts (`users.json`) and the self-signed certificate",
       [](web_config& c, const toml::node& n) { return as_absolute_path(c.state_dir, n); }},
      {"control_socket", nt::string, "\"/run/ravao/ravaod.sock\"", "ravaod's control socket",
       [](web_config& c, const toml::node& n) { return as_absolute_path(c.control_socket, n); }},
      {"session_idle", nt::string, "\"15m\"", "a session unused this long ends",
       [](web_config& c, const toml::node& n) { return as_duration(c.session_idle, n); }},
      {"session_max", nt::string, "\"12h\"", "a session ends this long after login, used or not",
       [](web_config& c, const toml::node& n) { return as_duration(c.session_max, n); }},
      {"public_url", nt::string, "(derived)", "the console's address as staff type it (`https://...`), shown by `ravaoctl status` and the command card; else derived from `listen` and the host's addresses",
       [](web_config& c, const toml::node& n) {
         const std::string url(n.value_or(std::string_view{}));
         if (!url.starts_with("https://")) return fmt::format("\"{}\" must start with https://", text::escape_for_log(url));
         c.public_url = url;
         return std::string();
       }},
  };
  return table;
}

std::string type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::string: return "a string";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    default: return "another type";
  }
}

}  // namespace

std::string listen_address::text() const {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

result<listen_address> parse_listen(std::string_view text) {
  const auto colon = text.rfind(':');
  const auto bad = [&] {
    return fail(errc::invalid_argument,
                fmt::format("\"{}\" is not HOST:PORT (e.g. \"0.0.0.0:443\", \"[::]:443\")", text::escape_for_log(text)));
  };
  if (colon == std::string_view::npos || colon == 0) return bad();
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.starts_with('[')) {
    if (!host.ends_with(']')) return bad();
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad();
  }
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535 || host.empty()) return bad();
  return listen_address{std::string(host), static_cast<unsigned short>(port)};
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  long long n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, n);
  if (ec != std::errc{} || end != text.data() + text.size() - 1 || n <= 0 || n > 100'000'000) return std::nullopt;
  switch (text.back()) {
    case 's': return std::chrono::seconds(n);
    case 'm': return std::chrono::seconds(n * 60);
    case 'h': return std::chrono::seconds(n * 3600);
    case 'd': return std::chrono::seconds(n * 86400);
    default: return std::nullopt;
  }
}

result<web_config> parse_web_config(std::string_view toml_text, const std::filesystem::path& file) {
  const std::string name = file.string();
  std::vector<std::string> problems;
  const auto problem = [&](std::uint32_t line, std::string message) {
    problems.push_back(fmt::format("{}:{}: {}", name, line, message));
  };
  web_config c;
  try {
    const toml::table root = toml::parse(toml_text, std::string_view{name});
    for (const auto& [k, v] : root) {
      if (k.str() != "web") problem(k.source().begin.line, fmt::format("unknown section [{}] (expected [web])", text::escape_for_log(k.str())));
    }
    if (const auto* web = root["web"].as_table()) {
      for (const auto& [k, v] : *web) {
        const auto line = k.source().begin.line;
        const auto it = std::ranges::find(keys(), k.str(), &key_spec::name);
        if (it == keys().end()) {
          problem(line, fmt::format("[web]: unknown key \"{}\"", text::escape_for_log(k.str())));
        } else if (v.type() != it->type) {
          problem(line, fmt::format("[web] {}: must be {}", it->name, type_name(it->type)));
        } else if (auto e = it->apply(c, v); !e.empty()) {
          problem(line, fmt::format("[web] {}: {}", it->name, e));
        }
      }
      if (c.certificate.has_value() != c.key.has_value()) {
        problem(web->source().begin.line, "[web]: give both `certificate` and `key`, or neither (a self-signed certificate is then made)");
      }
      if (c.session_idle > c.session_max) {
        problem(web->source().begin.line, "[web]: `session_idle` is longer than `session_max`");
      }
    } else if (root.contains("web")) {
      problem(1, "[web] must be a table");
    }
  } catch (const toml::parse_error& e) {
    problem(e.source().begin.line, "invalid TOML: " + text::escape_for_log(e.description(), 400));
  }
  if (!problems.empty()) {
    // toml++ walks keys in name order; people read a file top down.
    std::ranges::stable_sort(problems, {}, [](const std::string& p) {
      const auto colon = p.find(':', p.rfind(".toml") == std::string::npos ? 0 : p.rfind(".toml"));
      return colon == std::string::npos ? 0L : std::strtol(p.c_str() + colon + 1, nullptr, 10);
    });
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "\n") + p;
    return fail(errc::config_invalid, std::move(all));
  }
  return c;
}

result<web_config> load_web_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(errc::config_invalid, fmt::format("{}:0: cannot read the file", file.string()));
  std::string text(max_config_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > max_config_bytes) {
    return fail(errc::config_invalid, fmt::format("{}:0: larger than {} bytes", file.string(), max_config_bytes));
  }
  return parse_web_config(text, file);
}

std::string describe_web_config_keys() {
  std::string out = "| Key | Type | Default | Meaning |\n|-----|------|---------|---------|\n";
  for (const auto& k : keys()) {
    out += fmt::format("| `{}` | {} | {} | {} |\n", k.name, k.type == toml::node_type::boolean ? "boolean" : "string",
                       k.default_text, k.doc);
  }
  return out;
}

}  // namespace ravao::web
