#pragma once
// Test harness: real processes, real pseudo-terminals, real files. Every wait
// has a deadline, so a hang fails fast instead of stalling CI; nothing waits
// for a fixed time.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

namespace ravao::test {

using namespace std::chrono_literals;

// A fresh folder under $TMPDIR, removed with its contents at destruction.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& p, std::string_view content);
std::string read_file(const std::filesystem::path& p);

// A pseudo-terminal standing in for a serial scanner. The daemon opens the
// stable name `link` (a symlink to the slave), as it would /dev/ttyACM0 or a
// udev symlink. unplug() closes the master (the daemon's reads fail with EIO,
// as on a real unplug) and removes the link; plug() makes a new pty behind
// the same link.
class fake_serial_scanner {
 public:
  explicit fake_serial_scanner(std::filesystem::path link);
  ~fake_serial_scanner();
  void plug();
  void unplug();
  // Writes all bytes to the master (the scanner "sends" them).
  void send(std::string_view bytes);
  // Reads and discards what waits on the slave side (nobody else reads it).
  void drain();
  const std::filesystem::path& link() const { return link_; }

 private:
  std::filesystem::path link_;
  int master_ = -1;
  int slave_ = -1;  // kept open so data written before the daemon opens is not lost
};

struct exit_status {
  bool exited = false;
  int code = -1;    // when exited
  int signal = 0;   // when killed by a signal
};

// A child process with stdout and stderr sent to files.
class process {
 public:
  process(std::vector<std::string> argv, const std::filesystem::path& stdout_file,
          const std::filesystem::path& stderr_file, std::map<std::string, std::string> env = {},
          std::optional<std::filesystem::path> stdin_file = std::nullopt);
  ~process();  // SIGKILLs a child still running
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) const;
  // Waits up to `deadline`; nullopt when still running then.
  std::optional<exit_status> wait(std::chrono::milliseconds deadline);
  bool running();

 private:
  pid_t pid_ = -1;
  std::optional<exit_status> status_;
};

// Runs a command to completion (deadline 30 s), capturing stdout and stderr.
struct run_result {
  int code = -1;
  std::string out;
  std::string err;
};
run_result run(const std::vector<std::string>& argv, std::chrono::milliseconds deadline = 30s);

// Polls `pred` every few milliseconds until it holds or the deadline passes.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds deadline = 20s);

// A ravaod started on a config written into a temp folder, with its log in
// `log_path()`. The config text may use {dir} for the temp folder.
class daemon_under_test {
 public:
  explicit daemon_under_test(std::string config_text, std::map<std::string, std::string> env = {});
  ~daemon_under_test();

  void start();  // starts and waits until the control socket answers
  void set_stdin(std::filesystem::path p) { stdin_ = std::move(p); }  // default /dev/null
  void stop(int sig = 15);  // signals and waits for exit
  std::optional<exit_status> wait_exit(std::chrono::milliseconds deadline = 30s);
  process& proc() { return *proc_; }

  // ravaoctl --socket S --json ARGS..., parsed; throws when ravaoctl fails.
  boost::json::value ctl(const std::vector<std::string>& args) const;
  run_result ctl_raw(const std::vector<std::string>& args) const;

  std::string log() const;
  // Number of log lines containing `needle`.
  std::size_t count_log(std::string_view needle) const;

  const temp_dir& dir() const { return dir_; }
  std::filesystem::path config_path() const { return dir_ / "ravao.toml"; }
  std::filesystem::path socket_path() const { return dir_ / "ravaod.sock"; }
  std::filesystem::path store_path() const { return dir_ / "ravao.db"; }
  std::filesystem::path log_path() const { return dir_ / "ravaod.log"; }

 private:
  temp_dir dir_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<process> proc_;
  std::optional<std::filesystem::path> stdin_;
};

// A visitor's CCCD QR payload (7-field form) for a made-up person.
std::string cccd_payload(std::string_view id12, std::string_view name = "Nguyễn Văn An",
                         std::string_view dob = "01011990", std::string_view sex = "Nam");

}  // namespace ravao::test
