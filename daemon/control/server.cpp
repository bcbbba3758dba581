#include "control/server.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
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

std::string error_reply(std::string_view msg) {
  json::object o;
  o["ok"] = false;
  o["error"] = msg;
  return json::serialize(o) + "\n";
}
}  // namespace

control_server::control_server(asio::any_io_executor ex, handler h)
    : ex_(ex), handler_(std::move(h)), acceptor_(ex) {}

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
  socket_gid_ = static_cast<unsigned>(::getegid());
  if (!group.empty()) {
    struct group* g = ::getgrnam(group.c_str());
    if (!g) return fail(errc::invalid_argument, fmt::format("control group \"{}\" does not exist", group));
    socket_gid_ = static_cast<unsigned>(g->gr_gid);
    // Already the group's (the daemon's own group, as packaged): no chown,
    // which the packaged unit's system call filter refuses.
    struct stat st {};
    const bool has_group = ::stat(path.c_str(), &st) == 0 && st.st_gid == g->gr_gid;
    if (!has_group && ::chown(path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0) {
      return fail_errno(errno, fmt::format("cannot give {} to group {}", path.string(), group));
    }
  }
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

namespace {

uid_t overflow_uid() {
  static const uid_t uid = [] {
    unsigned long v = 65534;
    if (std::FILE* f = std::fopen("/proc/sys/kernel/overflowuid", "re")) {
      if (std::fscanf(f, "%lu", &v) != 1) v = 65534;
      std::fclose(f);
    }
    return static_cast<uid_t>(v);
  }();
  return uid;
}

}  // namespace

bool control_server::peer_allowed(int fd, std::string& who) const {
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
  who = fmt::format("uid={} pid={}", cred.uid, cred.pid);
  if (cred.uid == 0 || cred.uid == ::geteuid() || cred.gid == socket_gid_) return true;
  // A peer from outside the daemon's user namespace (systemd's PrivateUsers=,
  // as packaged) shows as the overflow uid: its user and groups cannot be
  // looked up from here. It reached the socket only because the kernel found
  // it allowed by the socket's mode 0660 and group, and by the folder's, which
  // is the rule applied below; so it is let in.
  if (cred.uid == overflow_uid()) return true;
  // Supplementary groups of the peer's user.
  struct passwd* pw = ::getpwuid(cred.uid);
  if (!pw) return false;
  int n = 64;
  std::vector<gid_t> groups(static_cast<std::size_t>(n));
  if (::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &n) < 0) {
    groups.resize(static_cast<std::size_t>(n));
    if (::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &n) < 0) return false;
  }
  for (int i = 0; i < n; ++i) {
    if (groups[static_cast<std::size_t>(i)] == socket_gid_) return true;
  }
  return false;
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
  if (!peer_allowed(sock->native_handle(), who)) {
    log::warning("control.denied", "control connection refused", {{"peer", who}});
    const struct group* g = ::getgrgid(static_cast<gid_t>(socket_gid_));
    const std::string group_name = g ? g->gr_name : std::to_string(socket_gid_);
    const std::string reply = error_reply(fmt::format(
        "permission denied: your user is not in the control socket's group \"{}\" (add it with "
        "`sudo usermod -aG {} USER`, then log in again)", group_name, group_name));
    co_await asio::async_write(*sock, asio::buffer(reply), asio::redirect_error(asio::use_awaitable, ec));
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
      json::object out;
      out["ok"] = true;
      out["result"] = co_await handler_(req.as_object());
      reply = json::serialize(out) + "\n";
    } catch (const std::exception& ex) {
      reply = error_reply(ex.what());
    }
    co_await asio::async_write(*sock, asio::buffer(reply), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  sock->close(ec);
}

}  // namespace ravao
