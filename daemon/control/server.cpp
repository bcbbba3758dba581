#include "control/server.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/log.hpp"
#include "common/supervise.hpp"

namespace ravao {
namespace asio = boost::asio;
namespace json = boost::json;
using local_socket = asio::local::stream_protocol::socket;

namespace {
constexpr auto idle_timeout = std::chrono::seconds(60);

std::string error_reply(std::string_view msg, const json::object& details = {}) {
  json::object o;
  o["ok"] = false;
  o["error"] = msg;
  for (const auto& [k, v] : details)
    if (k != "ok" && k != "error") o[k] = v;
  return json::serialize(o) + "\n";
}

// A /proc file's text; empty when it cannot be read.
std::string read_proc(const char* path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

unsigned long read_proc_number(const char* path, unsigned long fallback) {
  unsigned long v = fallback;
  std::ifstream(path) >> v;
  return v;
}

}  // namespace

// The group the socket at `path` (just bound) belongs to, given to it when
// `group` names another and that is possible, and the rule peers are
// admitted by. Under PrivateUsers= a group other than the daemon's own is
// outside the daemon's user namespace: it can neither chown to it nor see
// it. The socket then has the group because its folder belongs to that group
// with the set-group-ID bit (packaging/tmpfiles/ravao.conf: /run/ravao is
// ravao:ravao-ctl 2710), and shows here as the overflow gid.
result<control_access> control_server::socket_access(const std::filesystem::path& path, const std::string& group) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fail_errno(errno, "cannot stat " + path.string());
  const std::string uid_map = read_proc("/proc/self/uid_map");
  const std::string gid_map = read_proc("/proc/self/gid_map");
  const auto overflow_uid = static_cast<uid_t>(read_proc_number("/proc/sys/kernel/overflowuid", 65534));
  const auto overflow_gid = static_cast<gid_t>(read_proc_number("/proc/sys/kernel/overflowgid", 65534));
  // What the socket has now: its folder's group (set-group-ID) or the daemon's.
  const auto keep_socket_group = [&] {
    const std::optional<gid_t> gid = id_mapped(gid_map, st.st_gid) ? std::optional(st.st_gid) : std::nullopt;
    const struct group* g = gid ? ::getgrgid(*gid) : nullptr;
    group_name_ = g ? std::string(g->gr_name) : fmt::format("(the group of {})", path.parent_path().string());
    return make_control_access(uid_map, overflow_uid, ::geteuid(), gid);
  };
  if (group.empty()) return keep_socket_group();
  const struct group* g = ::getgrnam(group.c_str());
  if (!g) return fail(errc::invalid_argument, fmt::format("control group \"{}\" does not exist", group));
  const gid_t gid = g->gr_gid;
  group_name_ = group;
  // Already the group's (set-group-ID folder, or the daemon's own group): no
  // chown, which the packaged unit's system call filter refuses. A group
  // outside this namespace shows as the overflow gid: as the folder gave it.
  if (st.st_gid == gid || (!id_mapped(gid_map, gid) && st.st_gid == overflow_gid))
    return make_control_access(uid_map, overflow_uid, ::geteuid(), gid);
  const bool mapped = id_mapped(gid_map, gid);
  if (mapped && ::chown(path.c_str(), static_cast<uid_t>(-1), gid) == 0)
    return make_control_access(uid_map, overflow_uid, ::geteuid(), gid);
  const int err = mapped ? errno : EINVAL;
  // Cannot be given. A set-group-ID folder's group is the admin's choice
  // (the package's: ravao-ctl): keep it rather than leave the counters
  // without a daemon, e.g. after an upgrade that kept an older ravao.toml
  // naming the daemon's own group, which also opens the scanners.
  struct stat dir {};
  if (::stat(path.parent_path().c_str(), &dir) == 0 && (dir.st_mode & S_ISGID) != 0 && dir.st_gid == st.st_gid) {
    auto access = keep_socket_group();
    log::warning("control.group_not_applied",
                 fmt::format("[control] group {} cannot be given to the control socket here; it keeps its "
                             "set-group-ID folder's group {} (set [control] group to that, or remove the key)",
                             group, group_name_),
                 {{"group", group}, {"socket", path.string()}});
    return access;
  }
  return fail_errno(err, fmt::format("cannot give the control socket {} to group {}: make its folder belong to that "
                                     "group with the set-group-ID bit (`chgrp {} DIR; chmod g+s DIR`; the package's "
                                     "tmpfiles.d makes /run/ravao so for ravao-ctl)",
                                     path.string(), group, group));
}

control_server::control_server(asio::any_io_executor ex, handler h)
    : ex_(ex), handler_(std::move(h)), acceptor_(ex) {}

void control_server::add_stream(std::string cmd, stream_taker take) { streams_[std::move(cmd)] = std::move(take); }

result<void> control_server::listen(const std::filesystem::path& path, const std::string& group) {
  namespace fs = std::filesystem;
  std::error_code fec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), fec);
  if (const auto st = fs::symlink_status(path, fec); fs::exists(st)) {
    if (st.type() != fs::file_type::socket) {
      return fail(std::error_code{},
                  fmt::format("control socket path {} exists and is not a socket; refusing to replace it",
                              path.string()));
    }
    // A socket file left by a killed ravaod is stale; a live one means another
    // daemon owns it and we must not steal it.
    local_socket probe(ex_);
    boost::system::error_code ec;
    probe.connect(asio::local::stream_protocol::endpoint(path.string()), ec);
    if (!ec) {
      return fail(std::error_code{},
                  fmt::format("control socket {} is in use by another running ravaod (stop it first, or give "
                              "this one another [control] socket)", path.string()));
    }
    fs::remove(path, fec);
  }
  boost::system::error_code ec;
  acceptor_.open(asio::local::stream_protocol(), ec);
  if (!ec) acceptor_.bind(asio::local::stream_protocol::endpoint(path.string()), ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail_errno(ec.value(), fmt::format("cannot listen on control socket {}", path.string()));
  }
  path_ = path;
  auto access = socket_access(path, group);
  if (!access) return std::unexpected(access.error());
  access_ = *access;
  if (::chmod(path.c_str(), 0660) != 0) return fail_errno(errno, "cannot chmod " + path.string());
  // Supervised (common/supervise.hpp): app owns this server and destroys it
  // only after the loop stopped running, so the supervisor may use `this`.
  // An exception restarts the accept loop; stop() ends it for good.
  supervision s;
  s.task = "control.accept";
  s.stopped = [this] { return stopped_; };
  spawn_supervised(ex_, std::move(s), [this] { return accept_loop(); });
  return {};
}

void control_server::stop() {
  stopped_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (auto& w : sessions_) {
    if (auto s = w.lock()) s->close(ec);
  }
  sessions_.clear();
  if (!path_.empty()) {
    std::error_code fec;
    std::filesystem::remove(path_, fec);
  }
}

bool control_server::peer_allowed(int fd, std::string& who, control_peer& peer) const {
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
  who = fmt::format("uid={} pid={}", cred.uid, cred.pid);
  peer.uid = cred.uid;
  // The peer's groups from the user database (empty for a uid it does not know).
  std::vector<gid_t> groups;
  if (const struct passwd* pw = ::getpwuid(cred.uid)) {
    if (!access_.outsider_uid || cred.uid != *access_.outsider_uid) peer.user = pw->pw_name;
    int n = 64;
    groups.resize(static_cast<std::size_t>(n));
    if (::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &n) < 0) {
      groups.resize(static_cast<std::size_t>(n));
      if (::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &n) < 0) n = 0;
    }
    groups.resize(static_cast<std::size_t>(n));
  }
  return peer_admitted(access_, peer_credentials{cred.uid, cred.gid, groups});
}

asio::awaitable<void> control_server::accept_loop() {
  while (!stopped_) {
    auto sock = std::make_shared<local_socket>(ex_);
    boost::system::error_code ec;
    co_await acceptor_.async_accept(*sock, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopped_ || ec == asio::error::operation_aborted) co_return;
      log::warning("control.accept_failed", ec.message());
      continue;
    }
    std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
    sessions_.push_back(sock);
    // An exception in one session closes only that connection (session.failed).
    spawn_session(ex_, "control.session", serve(sock));
  }
}

asio::awaitable<void> control_server::serve(std::shared_ptr<local_socket> sock) {
  using namespace asio::experimental::awaitable_operators;
  boost::system::error_code ec;
  std::string who;
  control_peer peer;
  if (!peer_allowed(sock->native_handle(), who, peer)) {
    log::warning("control.denied", "control connection refused", {{"peer", who}});
    const std::string& group_name = group_name_;
    const std::string reply = error_reply(fmt::format(
        "permission denied: your user is not in the control socket's group \"{}\" (add it with "
        "`sudo usermod -aG {} USER`, then log in again)", group_name, group_name));
    co_await asio::async_write(*sock, asio::buffer(reply), asio::redirect_error(asio::use_awaitable, ec));
    // Read (and drop) the request the client may still be sending, for at
    // most a second, before closing: closing first would fail its send
    // (EPIPE) and it could report that instead of the refusal above.
    sock->shutdown(local_socket::shutdown_send, ec);
    if (!ec) {
      using namespace asio::experimental::awaitable_operators;
      std::string ignored;
      asio::steady_timer linger(ex_, std::chrono::seconds(1));
      co_await (asio::async_read_until(*sock, asio::dynamic_buffer(ignored, max_request_bytes), '\n',
                                       asio::redirect_error(asio::use_awaitable, ec)) ||
                linger.async_wait(asio::redirect_error(asio::use_awaitable, ec)));
    }
    sock->close(ec);
    co_return;
  }
  std::string buffer;
  asio::steady_timer idle(ex_);
  while (sock->is_open()) {
    idle.expires_after(idle_timeout);
    auto dyn = asio::dynamic_buffer(buffer, max_request_bytes);
    auto done = co_await (
        asio::async_read_until(*sock, dyn, '\n', asio::redirect_error(asio::use_awaitable, ec)) ||
        idle.async_wait(asio::use_awaitable));
    if (done.index() == 1 || ec) {
      if (ec == asio::error::not_found) {
        const std::string reply = error_reply("request too long");
        co_await asio::async_write(*sock, asio::buffer(reply), asio::redirect_error(asio::use_awaitable, ec));
      }
      break;
    }
    const std::size_t n = std::get<0>(done);
    const std::string line = buffer.substr(0, n);
    buffer.erase(0, n);
    std::string reply;
    try {
      boost::system::error_code jec;
      json::value req = json::parse(line, jec);
      if (jec) throw std::invalid_argument("request is not valid JSON");
      if (!req.is_object()) throw std::invalid_argument("request must be a JSON object");
      if (const auto* cmd = req.as_object().if_contains("cmd"); cmd && cmd->is_string()) {
        if (const auto it = streams_.find(std::string_view(cmd->as_string())); it != streams_.end()) {
          it->second(req.as_object(), sock);
          co_return;  // the stream owns the connection now
        }
      }
      json::object out;
      out["ok"] = true;
      out["result"] = co_await handler_(req.as_object(), peer);
      reply = json::serialize(out) + "\n";
    } catch (const control_error& ex) {
      reply = error_reply(ex.what(), ex.details());
    } catch (const std::exception& ex) {
      reply = error_reply(ex.what());
    }
    co_await asio::async_write(*sock, asio::buffer(reply), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  sock->close(ec);
}

}  // namespace ravao
