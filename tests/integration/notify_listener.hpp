#pragma once
// A real datagram socket standing in for systemd's NOTIFY_SOCKET: the test
// passes its path to ravaod and reads what ravaod sends (READY=1, STATUS=,
// WATCHDOG=1, ...). Test thread only.

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ravao::test {

class notify_listener {
 public:
  explicit notify_listener(const std::filesystem::path& path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("bind failed");
    timeval tv{0, 50'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~notify_listener() { ::close(fd_); }
  notify_listener(const notify_listener&) = delete;
  notify_listener& operator=(const notify_listener&) = delete;

  // Reads what has arrived; returns every message so far.
  const std::vector<std::string>& poll() {
    char buf[4096];
    while (true) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      messages_.emplace_back(buf, static_cast<std::size_t>(n));
    }
    return messages_;
  }
  bool seen(std::string_view prefix) {
    for (const auto& m : poll()) {
      if (m.find(prefix) != std::string::npos) return true;
    }
    return false;
  }
  std::size_t count(std::string_view needle) {
    std::size_t n = 0;
    for (const auto& m : poll()) n += m.find(needle) != std::string::npos ? 1 : 0;
    return n;
  }
  // The newest STATUS= line (without "STATUS="); empty before the first.
  std::string last_status() {
    const auto& all = poll();
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
      for (std::size_t at = 0; at < it->size();) {
        const std::size_t end = std::min(it->find('\n', at), it->size());
        if (it->compare(at, 7, "STATUS=") == 0) return it->substr(at + 7, end - at - 7);
        at = end + 1;
      }
    }
    return {};
  }

 private:
  int fd_ = -1;
  std::vector<std::string> messages_;
};

}  // namespace ravao::test
