#include "support/harness.hpp"

#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace ravao::test {
namespace fs = std::filesystem;

temp_dir::temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base ? base : "/tmp") + "/ravao-test-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_file(const fs::path& p, std::string_view content) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fake_serial_scanner::fake_serial_scanner(fs::path link) : link_(std::move(link)) { plug(); }

fake_serial_scanner::~fake_serial_scanner() { unplug(); }

void fake_serial_scanner::plug() {
  unplug();
  char name[256];
  struct termios raw {};
  ::cfmakeraw(&raw);
  if (::openpty(&master_, &slave_, name, &raw, nullptr) != 0) throw std::runtime_error("openpty failed");
  ::fcntl(master_, F_SETFD, FD_CLOEXEC);
  ::fcntl(slave_, F_SETFD, FD_CLOEXEC);
  std::error_code ec;
  fs::remove(link_, ec);
  fs::create_symlink(name, link_);
}

void fake_serial_scanner::unplug() {
  std::error_code ec;
  fs::remove(link_, ec);
  if (slave_ >= 0) ::close(slave_);
  if (master_ >= 0) ::close(master_);
  master_ = slave_ = -1;
}

void fake_serial_scanner::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(master_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("write to pty master failed");
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void fake_serial_scanner::drain() {
  char buf[4096];
  const int flags = ::fcntl(slave_, F_GETFL);
  ::fcntl(slave_, F_SETFL, flags | O_NONBLOCK);
  while (::read(slave_, buf, sizeof buf) > 0) {
  }
  ::fcntl(slave_, F_SETFL, flags);
}

// Everything the child needs is made before fork(): in the child, between
// fork and exec, only system calls run. A test process is multithreaded (the
// umockdev testbed's worker thread; ASan's and the preload's own locks), and a
// lock another thread held at fork() stays locked forever in the child: an
// open() through umockdev's preload or a malloc under ASan there once hung a
// ravaoctl for the whole 30 s deadline.
process::process(std::vector<std::string> argv, const fs::path& stdout_file, const fs::path& stderr_file,
                 std::map<std::string, std::string> env, std::optional<fs::path> stdin_file) {
  std::map<std::string, std::string> environment;
  for (char** e = ::environ; *e; ++e) {
    const std::string_view kv(*e);
    const auto eq = kv.find('=');
    if (eq != std::string_view::npos) environment.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  for (auto& [k, v] : env) environment[k] = std::move(v);
  std::vector<std::string> env_lines;
  for (const auto& [k, v] : environment) env_lines.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& line : env_lines) envp.push_back(line.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const int fds[3] = {::open(stdin_file ? stdin_file->c_str() : "/dev/null", O_RDONLY | O_CLOEXEC),
                      ::open(stdout_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644),
                      ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)};
  const auto close_fds = [&] {
    for (const int fd : fds)
      if (fd >= 0) ::close(fd);
  };
  if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0) {
    const int err = errno;
    close_fds();
    throw std::runtime_error(fmt::format("cannot open the standard streams for {}: {}", argv.front(),
                                         std::strerror(err)));
  }
  pid_ = ::fork();
  if (pid_ == 0) {
    for (int i = 0; i < 3; ++i) ::syscall(SYS_dup3, fds[i], i, 0);
    ::close_range(3, ~0U, 0);  // the test's pty masters must not leak into the child
    ::setpgid(0, 0);
    // Dies with the test: a daemon orphaned by a crashed or timed-out test
    // would otherwise go on reopening its tty links, and a later test whose
    // pty reuses the same /dev/pts number would lose its scans to it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  close_fds();
  if (pid_ < 0) throw std::runtime_error("fork failed");
}

process::~process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait(10s);
  }
}

void process::signal(int sig) const { ::kill(pid_, sig); }

bool process::running() {
  if (status_) return false;
  return !wait(0ms).has_value();
}

std::optional<exit_status> process::wait(std::chrono::milliseconds deadline) {
  if (status_) return status_;
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (true) {
    int st = 0;
    const pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      exit_status es;
      if (WIFEXITED(st)) { es.exited = true; es.code = WEXITSTATUS(st); }
      if (WIFSIGNALED(st)) es.signal = WTERMSIG(st);
      status_ = es;
      return status_;
    }
    if (std::chrono::steady_clock::now() >= end) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

run_result run(const std::vector<std::string>& argv, std::chrono::milliseconds deadline) {
  temp_dir d;
  run_result rr;
  process p(argv, d / "out", d / "err");
  auto st = p.wait(deadline);
  if (!st) throw std::runtime_error("command timed out: " + argv.front());
  rr.code = st->exited ? st->code : 128 + st->signal;
  rr.out = read_file(d / "out");
  rr.err = read_file(d / "err");
  return rr;
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (true) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(10ms);
  }
}

namespace {
std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}
}  // namespace

daemon_under_test::daemon_under_test(std::string config_text, std::map<std::string, std::string> env)
    : env_(std::move(env)) {
  write_file(config_path(), replace_all(std::move(config_text), "{dir}", dir_.path().string()));
}

daemon_under_test::~daemon_under_test() {
  if (proc_ && proc_->running()) {
    proc_->signal(SIGKILL);
    proc_->wait(10s);
  }
}

void daemon_under_test::start() {
  proc_ = std::make_unique<process>(
      std::vector<std::string>{RAVAOD_PATH, "--config", config_path().string(), "--log-target", "stderr"},
      dir_ / "ravaod.stdout", log_path(), env_, stdin_);
  const bool up = eventually([&] {
    if (!proc_->running()) return true;
    return ctl_raw({"status"}).code == 0;
  }, 30s);
  if (!up || !proc_->running()) throw std::runtime_error("ravaod did not start; log:\n" + log());
}

void daemon_under_test::stop(int sig) {
  proc_->signal(sig);
  if (!proc_->wait(30s)) throw std::runtime_error("ravaod did not stop; log:\n" + log());
}

std::optional<exit_status> daemon_under_test::wait_exit(std::chrono::milliseconds deadline) {
  return proc_->wait(deadline);
}

run_result daemon_under_test::ctl_raw(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{RAVAOCTL_PATH, "--socket", socket_path().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  try {
    // Longer than ravaoctl's own 30 s wait for an answer: a daemon that does
    // not answer is reported by ravaoctl ("no answer from ravaod"), and a
    // ravaoctl that is itself stuck by this deadline.
    return run(argv, 40s);
  } catch (const std::runtime_error& e) {
    // A daemon that does not answer: what it was doing is in its log.
    const std::string all = log();
    const std::size_t keep = 16 * 1024;
    throw std::runtime_error(fmt::format("{} ({}); ravaod's log{}:\n{}", e.what(), args.empty() ? "" : args.front(),
                                         all.size() > keep ? " (its end)" : "",
                                         all.size() > keep ? all.substr(all.size() - keep) : all));
  }
}

boost::json::value daemon_under_test::ctl(const std::vector<std::string>& args) const {
  std::vector<std::string> a{"--json"};
  a.insert(a.end(), args.begin(), args.end());
  auto r = ctl_raw(a);
  if (r.code != 0) throw std::runtime_error("ravaoctl failed (" + std::to_string(r.code) + "): " + r.err);
  return boost::json::parse(r.out);
}

std::string daemon_under_test::log() const { return read_file(log_path()); }

std::size_t daemon_under_test::count_log(std::string_view needle) const {
  const std::string text = log();
  std::size_t n = 0;
  for (std::size_t pos = 0; (pos = text.find(needle, pos)) != std::string::npos; pos += needle.size()) ++n;
  return n;
}

std::string cccd_payload(std::string_view id12, std::string_view name, std::string_view dob, std::string_view sex) {
  std::string s;
  s += id12;
  s += "||";
  s += name;
  s += '|';
  s += dob;
  s += '|';
  s += sex;
  s += "|Thôn 3, Xã Ia Kênh, Thành phố Pleiku, Gia Lai|15082021";
  return s;
}

}  // namespace ravao::test
