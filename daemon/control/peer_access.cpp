#include "control/peer_access.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <vector>

#include <fmt/format.h>

namespace ravao {
namespace {

struct id_range {
  std::uint64_t inside, outside, count;
};

// The lines of a uid_map/gid_map ("%10u %10u %10u\n" each); nullopt when the
// text is empty or any line is not three numbers.
std::optional<std::vector<id_range>> parse_id_map(std::string_view text) {
  std::vector<id_range> out;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    std::uint64_t v[3] = {};
    int n = 0;
    while (true) {
      line.remove_prefix(std::min(line.find_first_not_of(" \t"), line.size()));
      if (line.empty()) break;
      if (n == 3) return std::nullopt;
      const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), v[n]);
      if (ec != std::errc{}) return std::nullopt;
      line.remove_prefix(static_cast<std::size_t>(end - line.data()));
      if (!line.empty() && line.front() != ' ' && line.front() != '\t') return std::nullopt;
      ++n;
    }
    if (n == 0) continue;  // blank line
    if (n != 3) return std::nullopt;
    out.push_back({v[0], v[1], v[2]});
  }
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace

bool initial_user_namespace(std::string_view id_map) {
  const auto map = parse_id_map(id_map);
  if (!map) return true;
  return map->size() == 1 && (*map)[0].inside == 0 && (*map)[0].outside == 0 && (*map)[0].count == 4294967295u;
}

bool id_mapped(std::string_view id_map, unsigned id) {
  const auto map = parse_id_map(id_map);
  if (!map) return true;
  return std::ranges::any_of(*map, [id](const id_range& r) { return r.inside <= id && id - r.inside < r.count; });
}

control_access make_control_access(std::string_view uid_map, uid_t overflow_uid, uid_t daemon_uid,
                                   std::optional<gid_t> socket_gid) {
  control_access a;
  a.daemon_uid = daemon_uid;
  a.socket_gid = socket_gid;
  if (!initial_user_namespace(uid_map) && !id_mapped(uid_map, overflow_uid)) a.outsider_uid = overflow_uid;
  return a;
}

bool peer_admitted(const control_access& access, const peer_credentials& peer) {
  if (peer.uid == 0 || peer.uid == access.daemon_uid) return true;
  if (access.outsider_uid && peer.uid == *access.outsider_uid) return true;
  if (!access.socket_gid) return false;
  return peer.gid == *access.socket_gid || std::ranges::find(peer.groups, *access.socket_gid) != peer.groups.end();
}

bool valid_actor(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::ranges::all_of(s, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '@' || c == ':' || c == '-';
  });
}

std::string unix_actor(const control_peer& peer) {
  std::string named = "unix:" + peer.user;
  if (!peer.user.empty() && valid_actor(named)) return named;
  return fmt::format("unix:{}", peer.uid);
}

}  // namespace ravao
