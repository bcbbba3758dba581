#pragma once
// ravao-receiver for benches that need a provincial server: `run_tool` runs
// one of its commands (pki, keygen) and returns its stdout; `receiver` runs
// `serve` on a loopback port (certificates from `pki` in DIR/pki) for the
// lifetime of the object (or with the arguments given). Needs RAVAO_RECEIVER_PATH (bench/CMakeLists.txt).
// $RAVAO_BENCH_RECEIVER_WRAPPER runs `serve` under a tool (heaptrack, perf).

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"

namespace ravao::bench {

inline std::string run_tool(const std::vector<std::string>& args) {
  std::string cmd = RAVAO_RECEIVER_PATH;
  for (const auto& a : args) cmd += " '" + a + "'";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  if (::pclose(p) != 0) throw std::runtime_error("ravao-receiver " + args.at(0) + " failed: " + out);
  return out;
}

// A provincial key pair in DIR/province.key; returns the public key text.
inline std::string province_key(const fs::path& dir) {
  std::string pub = run_tool({"keygen", "--out", (dir / "province.key").string()});
  while (!pub.empty() && (pub.back() == '\n' || pub.back() == ' ')) pub.pop_back();
  return pub;
}

// The [sync] section for a receiver on `port` (certificates in DIR/pki,
// clock flag DIR/clock-synced), plus `extra` keys.
inline std::string sync_section(const fs::path& dir, int port, std::string_view pub, std::string_view extra = {}) {
  return fmt::format("\n[sync]\nurl = \"https://localhost:{}/\"\nca_file = \"{}\"\nclient_cert = \"{}\"\n"
                     "client_key = \"{}\"\npublic_key = \"{}\"\ntime_sync_flag = \"{}\"\n{}",
                     port, (dir / "pki/ca.pem").string(), (dir / "pki/client.pem").string(),
                     (dir / "pki/client.key").string(), pub, (dir / "clock-synced").string(), extra);
}

// `ravao-receiver ARGS` (serve and its options, without the program name)
// for the lifetime of the object: stdout in DIR/serve.out, stderr in
// DIR/receiver.log; the constructor waits up to `deadline` for its
// "listening on ADDR:PORT" line. Without ARGS: `serve` on a loopback port
// with the certificates of DIR/pki and DIR/receiver.db.
struct receiver {
  pid_t pid = -1;
  int port = 0;
  explicit receiver(const fs::path& dir) : receiver(dir, serve_args(dir), 20s) {}
  receiver(const fs::path& dir, std::vector<std::string> args, std::chrono::seconds deadline) {
    const fs::path out = dir / "serve.out";
    args.insert(args.begin(), RAVAO_RECEIVER_PATH);
    pid = ::fork();
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int e = ::open((dir / "receiver.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(o, 1);
      ::dup2(e, 2);
      // RAVAO_BENCH_RECEIVER_WRAPPER: a command the receiver is run under,
      // split at spaces (e.g. "heaptrack -o /tmp/receiver.heaptrack").
      if (const char* w = std::getenv("RAVAO_BENCH_RECEIVER_WRAPPER"); w && *w) {
        std::vector<std::string> wrap;
        std::string word;
        for (const char* c = w;; ++c) {
          if (*c == ' ' || *c == '\0') {
            if (!word.empty()) wrap.push_back(std::move(word));
            word.clear();
            if (*c == '\0') break;
          } else {
            word += *c;
          }
        }
        args.insert(args.begin(), wrap.begin(), wrap.end());
      }
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    // A tool the receiver runs under may slow its start tenfold.
    const char* wrapper = std::getenv("RAVAO_BENCH_RECEIVER_WRAPPER");
    const auto end = clock_type::now() + (wrapper && *wrapper ? 10 * deadline : deadline);
    while (clock_type::now() < end) {
      std::ifstream in(out);
      // The first such line: a wrapper may print its own before it.
      for (std::string line; std::getline(in, line);) {
        if (line.starts_with("listening on ")) {
          port = std::stoi(line.substr(line.rfind(':') + 1));
          return;
        }
      }
      std::this_thread::sleep_for(20ms);
    }
    throw std::runtime_error("ravao-receiver did not start: see " + (dir / "receiver.log").string());
  }
  ~receiver() {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
  }
  receiver(const receiver&) = delete;
  receiver& operator=(const receiver&) = delete;

  static std::vector<std::string> serve_args(const fs::path& dir) {
    return {"serve", "--listen", "127.0.0.1:0", "--cert", (dir / "pki/server.pem").string(),
            "--key", (dir / "pki/server.key").string(), "--db", (dir / "receiver.db").string(),
            "--client-ca", (dir / "pki/ca.pem").string(), "--log-level", "warning"};
  }
};

}  // namespace ravao::bench
