#pragma once
// Shared pieces of the benchmarks (header only: bench/CMakeLists.txt makes one
// executable per *_bench.cpp): a temp folder on a real disk, pty scanners,
// payloads, configs, /proc readers and percentiles. Every wait has a deadline.

#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <pty.h>
#include <sys/statfs.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace ravao::bench {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

inline std::string fs_type_name(const fs::path& p) {
  struct statfs st {};
  if (::statfs(p.c_str(), &st) != 0) return "unknown";
  switch (static_cast<unsigned long>(st.f_type)) {
    case EXT4_SUPER_MAGIC: return "ext2/3/4";
    case XFS_SUPER_MAGIC: return "xfs";
    case BTRFS_SUPER_MAGIC: return "btrfs";
    case TMPFS_MAGIC: return "tmpfs";
    case RAMFS_MAGIC: return "ramfs";
    case OVERLAYFS_SUPER_MAGIC: return "overlayfs";
    default: return fmt::format("0x{:x}", static_cast<unsigned long>(st.f_type));
  }
}

// A fresh folder for config, store and socket, removed at destruction. Base:
// $RAVAO_BENCH_DIR, else $TMPDIR, else /tmp; a RAM file system falls back to
// the working folder, since fsync there measures nothing.
class temp_dir {
 public:
  temp_dir() {
    std::string base = "/tmp";
    if (const char* d = std::getenv("RAVAO_BENCH_DIR")) base = d;
    else if (const char* t = std::getenv("TMPDIR")) base = t;
    const std::string type = fs_type_name(base);
    if (type == "tmpfs" || type == "ramfs") base = fs::current_path().string();
    std::string tmpl = base + "/ravao-bench-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed in " + base);
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(std::string_view name) const { return path_ / name; }
  std::string describe() const { return fmt::format("{} ({})", path_.string(), fs_type_name(path_)); }

 private:
  fs::path path_;
};

inline void write_text(const fs::path& p, std::string_view text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

// A pty standing in for a serial scanner; the daemon opens `link`.
class pty_scanner {
 public:
  explicit pty_scanner(fs::path link) : link_(std::move(link)) {
    char name[256];
    struct termios raw {};
    ::cfmakeraw(&raw);
    if (::openpty(&master_, &slave_, name, &raw, nullptr) != 0) throw std::runtime_error("openpty failed");
    ::fcntl(master_, F_SETFD, FD_CLOEXEC);
    ::fcntl(slave_, F_SETFD, FD_CLOEXEC);
    ::fcntl(master_, F_SETFL, ::fcntl(master_, F_GETFL) | O_NONBLOCK);
    fs::create_symlink(name, link_);
  }
  ~pty_scanner() {
    ::close(master_);
    ::close(slave_);
  }
  pty_scanner(const pty_scanner&) = delete;
  pty_scanner& operator=(const pty_scanner&) = delete;

  // Writes every byte, blocking (back-pressure) at most until `deadline`.
  bool send(std::string_view bytes, clock_type::time_point deadline) {
    while (!bytes.empty()) {
      const ssize_t n = ::write(master_, bytes.data(), bytes.size());
      if (n > 0) {
        bytes.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
      if (left <= 0ms) return false;
      pollfd p{master_, POLLOUT, 0};
      ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 100)));
    }
    return true;
  }
  const fs::path& link() const { return link_; }

 private:
  fs::path link_;
  int master_ = -1;
  int slave_ = -1;  // kept open: a write before the daemon opens the tty is not lost
};

// A CCCD QR (7-field form) of a made-up man born 01/01/1990 in Hà Nội
// (001 = province, 0 = male 1900s, 90 = birth year): the ID is distinct per n.
inline std::string cccd_payload(std::uint32_t n) {
  return fmt::format("001090{:06}||Nguyễn Văn An|01011990|Nam|Thôn 3, Xã Ia Kênh, Thành phố Pleiku, Gia Lai|15082021",
                     n % 1'000'000);
}

// A parcel barcode (UPU S10 shape): classified opaque, distinct per n.
inline std::string opaque_payload(std::uint32_t n) { return fmt::format("EB{:09}VN", n); }

// Config with `counters` serial scanners at {dir}/tty-N; counters alternate
// toggle and entry.
// public_key: "[sync] public_key" (personal data sealed); empty: not kept.
inline std::string daemon_config(const fs::path& dir, int counters, int duplicate_window_ms,
                                 std::string_view public_key = {}) {
  std::string s = fmt::format(
      "[site]\nid = \"bd-bench\"\nname = \"Bưu điện Gia Lai\"\n\n[store]\npath = \"{0}/ravao.db\"\n\n"
      "[control]\nsocket = \"{0}/ravaod.sock\"\n\n[visits]\nduplicate_window_ms = {1}\n",
      dir.string(), duplicate_window_ms);
  if (!public_key.empty()) s += fmt::format("\n[sync]\npublic_key = \"{}\"\n", public_key);
  for (int i = 0; i < counters; ++i) {
    s += fmt::format("\n[[scanner]]\nid = \"s{0}\"\nkind = \"serial\"\ndevice = \"{1}/tty-{0}\"\nbaud = 115200\n", i,
                     dir.string());
    s += fmt::format("\n[[counter]]\nid = \"c{0}\"\nname = \"Quầy {0}\"\nscanner = \"s{0}\"\nmode = \"{1}\"\n", i,
                     i % 2 == 0 ? "toggle" : "entry");
  }
  return s;
}

// A field of /proc/PID/status ("VmRSS") or /proc/PID/io ("write_bytes"), as
// the number it holds (kB for status); -1 when absent.
inline std::int64_t proc_field(int pid, std::string_view file, std::string_view key) {
  std::ifstream in(fmt::format("/proc/{}/{}", pid, file));
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 && line[key.size()] == ':')
      return std::strtoll(line.c_str() + key.size() + 1, nullptr, 10);
  }
  return -1;
}

// Context switches (voluntary + involuntary) of every thread of a process,
// by thread id, from /proc/PID/task/TID/status; `name` is the thread's comm.
// A thread sleeping in epoll_wait/poll/futex switches once per wake-up, so
// the difference of two snapshots counts wake-ups.
struct thread_switches {
  std::string name;
  std::int64_t switches = 0;
};

inline std::map<int, thread_switches> task_switches(int pid) {
  std::map<int, thread_switches> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fmt::format("/proc/{}/task", pid), ec)) {
    const std::string tid_s = e.path().filename().string();
    const int tid = std::atoi(tid_s.c_str());
    const auto file = fmt::format("task/{}/status", tid);
    const std::int64_t v = proc_field(pid, file, "voluntary_ctxt_switches");
    const std::int64_t n = proc_field(pid, file, "nonvoluntary_ctxt_switches");
    if (v < 0 || n < 0) continue;  // the thread has just exited
    std::ifstream comm(fmt::format("/proc/{}/task/{}/comm", pid, tid));
    std::string name;
    std::getline(comm, name);
    out[tid] = {name, v + n};
  }
  return out;
}

inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

inline double micros(clock_type::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

}  // namespace ravao::bench
