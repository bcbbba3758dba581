#pragma once
// ravaod as a child process with its stderr piped into the bench. A reader
// thread splits the log into lines and timestamps each with steady_clock as
// it arrives; benches observe lines through a callback and wait on counts
// with deadlines. The daemon is SIGKILLed if still running at destruction.

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <algorithm>
#include <barrier>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <iostream>
#include <mutex>
#include <thread>

#include <boost/json.hpp>

#include "bench_util.hpp"

namespace ravao::bench {

// The value of `key=` in a log line ("" when absent; quotes not removed).
inline std::string_view log_field(std::string_view line, std::string_view key) {
  std::size_t pos = 0;
  while ((pos = line.find(key, pos)) != std::string_view::npos) {
    if ((pos == 0 || line[pos - 1] == ' ') && line.size() > pos + key.size() && line[pos + key.size()] == '=') {
      const std::size_t start = pos + key.size() + 1;
      return line.substr(start, line.find(' ', start) - start);
    }
    pos += key.size();
  }
  return {};
}

inline std::int64_t log_int(std::string_view line, std::string_view key) {
  const std::string v(log_field(line, key));
  return v.empty() ? -1 : std::strtoll(v.c_str(), nullptr, 10);
}

struct log_counts {
  std::size_t started = 0, online = 0, accepted = 0, duplicate = 0, rejected = 0, dropped = 0, stopped = 0;
};

class daemon_process {
 public:
  using line_handler = std::function<void(std::string_view line, clock_type::time_point at)>;

  // `env`: variables set (or replaced) in the child's environment, e.g.
  // {"LD_PRELOAD", "libumockdev-preload.so.0"}; the rest is inherited.
  daemon_process(const fs::path& config, line_handler on_line = {},
                 const std::vector<std::pair<std::string, std::string>>& env = {})
      : on_line_(std::move(on_line)) {
    // Built before fork(): the child of a threaded process may only exec.
    std::vector<std::string> vars;
    for (char** e = environ; *e; ++e) {
      const std::string_view v(*e);
      const bool replaced = std::ranges::any_of(env, [&](const auto& kv) {
        return v.size() > kv.first.size() && v.starts_with(kv.first) && v[kv.first.size()] == '=';
      });
      if (!replaced) vars.emplace_back(v);
    }
    for (const auto& [k, v] : env) vars.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& v : vars) envp.push_back(v.data());
    envp.push_back(nullptr);
    const char* argv[] = {RAVAOD_PATH, "--config", config.c_str(), "--log-target", "stderr", nullptr};

    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      const int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(fds[1], 2);
      ::close_range(3, ~0U, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives the bench (see tests/support/harness.cpp)
      ::execve(RAVAOD_PATH, const_cast<char* const*>(argv), envp.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    fd_ = fds[0];
    reader_ = std::thread([this] { read_log(); });
  }
  ~daemon_process() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (reader_.joinable()) reader_.join();
    ::close(fd_);
  }
  daemon_process(const daemon_process&) = delete;
  daemon_process& operator=(const daemon_process&) = delete;

  int pid() const { return pid_; }

  // Waits until `pred(counts)` holds; false at the deadline or if the log ends.
  bool wait_for(const std::function<bool(const log_counts&)>& pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return pred(counts_) || eof_; }) && pred(counts_);
  }
  log_counts counts() {
    std::lock_guard lock(mutex_);
    return counts_;
  }

  // Waits for daemon.started and `scanners` scanner.online lines.
  void wait_ready(std::size_t scanners) {
    if (!wait_for([&](const log_counts& c) { return c.started > 0 && c.online >= scanners; }, 30s))
      fail("ravaod did not start with all scanners online");
  }

  // SIGTERM, then waits (bounded) for the exit; SIGKILL after the deadline.
  void stop() {
    if (exited_) return;
    ::kill(pid_, SIGTERM);
    const auto end = clock_type::now() + 20s;
    while (clock_type::now() < end) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        exited_ = true;
        return;
      }
      std::this_thread::sleep_for(10ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    exited_ = true;
  }

  [[noreturn]] void fail(std::string_view why) {
    std::lock_guard lock(mutex_);
    std::cerr << "bench: " << why << "; last log lines:\n";
    for (const auto& l : tail_) std::cerr << "  " << l << '\n';
    throw std::runtime_error(std::string(why));
  }

 private:
  void read_log() {
    std::string pending;
    char buf[65536];
    while (true) {
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      const auto at = clock_type::now();
      if (n <= 0) break;
      pending.append(buf, static_cast<std::size_t>(n));
      std::size_t start = 0, nl;
      log_counts delta;
      while ((nl = pending.find('\n', start)) != std::string::npos) {
        const std::string_view line(pending.data() + start, nl - start);
        start = nl + 1;
        count(line, delta);
        if (on_line_) on_line_(line, at);
        if (line.find("scan.accepted:") == std::string_view::npos) remember(line);
      }
      pending.erase(0, start);
      {
        std::lock_guard lock(mutex_);
        counts_.started += delta.started;
        counts_.online += delta.online;
        counts_.accepted += delta.accepted;
        counts_.duplicate += delta.duplicate;
        counts_.rejected += delta.rejected;
        counts_.dropped += delta.dropped;
        counts_.stopped += delta.stopped;
      }
      changed_.notify_all();
    }
    std::lock_guard lock(mutex_);
    eof_ = true;
    changed_.notify_all();
  }

  static void count(std::string_view line, log_counts& c) {
    const auto has = [&](std::string_view s) { return line.find(s) != std::string_view::npos; };
    if (has(" scan.accepted:")) ++c.accepted;
    else if (has(" scan.duplicate:")) ++c.duplicate;
    else if (has(" scan.rejected:")) ++c.rejected;
    else if (has(" scan.dropped:")) ++c.dropped;
    else if (has(" scanner.online:")) ++c.online;
    else if (has(" daemon.started:")) ++c.started;
    else if (has(" daemon.stopped:")) ++c.stopped;
  }

  void remember(std::string_view line) {
    std::lock_guard lock(mutex_);
    tail_.emplace_back(line);
    if (tail_.size() > 20) tail_.pop_front();
  }

  line_handler on_line_;
  int pid_ = -1;
  int fd_ = -1;
  bool exited_ = false;
  std::mutex mutex_;
  std::condition_variable changed_;
  log_counts counts_;
  std::deque<std::string> tail_;
  bool eof_ = false;
  std::thread reader_;
};

// `ravaoctl --socket SOCKET --json ARGS...`, parsed (deadline 10 s).
inline boost::json::value ctl_json(const fs::path& socket, const std::vector<std::string>& args) {
  std::vector<const char*> argv{RAVAOCTL_PATH, "--socket", socket.c_str(), "--json"};
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(fds[1], 1);
    ::dup2(null, 2);
    ::close_range(3, ~0U, 0);
    ::execv(RAVAOCTL_PATH, const_cast<char* const*>(argv.data()));
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  const auto end = clock_type::now() + 10s;
  char buf[4096];
  while (clock_type::now() < end) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  ::kill(pid, SIGKILL);  // no-op when it has exited
  ::waitpid(pid, nullptr, 0);
  boost::system::error_code ec;
  auto v = boost::json::parse(out, ec);
  if (ec) throw std::runtime_error("ravaoctl " + (args.empty() ? std::string() : args[0]) + " gave no JSON: " + out);
  return v;
}

inline boost::json::value ctl_status(const fs::path& socket) { return ctl_json(socket, {"status"}); }

inline std::int64_t ctl_last_seq(const fs::path& socket) {
  return ctl_status(socket).at("store").at("last_seq").to_number<std::int64_t>();
}

// Scan k of counter w in a burst. 4 in 5 are CCCD cards, each person with a
// distinct ID; at toggle counters (even w) each person scans twice (opens,
// then closes, their visit), at entry counters once. The 5th is a parcel
// barcode (opaque).
inline std::string burst_payload(int w, std::uint32_t k) {
  const auto base = static_cast<std::uint32_t>(w) * 50'000;
  if (k % 5 == 4) return opaque_payload(base + k);
  const std::uint32_t j = k - k / 5;  // index among this counter's CCCD scans
  return cccd_payload(base + (w % 2 == 0 ? j / 2 : j));
}

// Writes `per_counter` burst scans to every pty at once, one thread per pty,
// as fast as the tty takes them (a full pty blocks its writer:
// back-pressure). Returns when all are written, with the instant the writers
// started; `failed` is set if a pty did not take its data by `deadline`.
inline clock_type::time_point write_burst(std::vector<std::unique_ptr<pty_scanner>>& ptys, std::uint32_t per_counter,
                                          clock_type::time_point deadline, bool& failed) {
  const auto counters = static_cast<std::ptrdiff_t>(ptys.size());
  clock_type::time_point first_byte;
  std::barrier start(counters + 1, [&]() noexcept { first_byte = clock_type::now(); });
  std::atomic<bool> any_failed = false;
  std::vector<std::thread> writers;
  for (int w = 0; w < static_cast<int>(counters); ++w) {
    writers.emplace_back([&, w] {
      std::string chunk;
      std::uint32_t k = 0;
      start.arrive_and_wait();
      while (k < per_counter) {  // a few scans per write(): the pty takes what fits
        chunk.clear();
        for (int i = 0; i < 8 && k < per_counter; ++i, ++k) chunk += burst_payload(w, k) + "\r\n";
        if (!ptys[static_cast<std::size_t>(w)]->send(chunk, deadline)) {
          any_failed = true;
          return;
        }
      }
    });
  }
  start.arrive_and_wait();
  for (auto& t : writers) t.join();
  failed = any_failed;
  return first_byte;
}

}  // namespace ravao::bench
