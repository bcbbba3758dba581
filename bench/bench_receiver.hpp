#pragma once
// ravao-receiver for the benches that sync: its command-line tools (pki,
// keygen) and `serve` as a child on a loopback port, with a test PKI in the
// bench's temp folder. Killed (SIGTERM, then waited for) at destruction and
// never outlives the bench (PR_SET_PDEATHSIG). Needs RAVAO_RECEIVER_PATH
// (bench/CMakeLists.txt defines it for sync_* and idle_wakeups_* benches).

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <cstdio>
#include <thread>

#include "bench_util.hpp"

namespace ravao::bench {

// Runs `ravao-receiver ARGS...`; its standard output, or throws.
inline std::string run_receiver_tool(const std::vector<std::string>& args) {
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

// A test PKI in DIR/pki (CA, server, client certificate for `gateway`) and a
// provincial key pair (secret in DIR/province.key); returns the public key.
inline std::string make_receiver_keys(const fs::path& dir, const std::string& gateway) {
  run_receiver_tool({"pki", "--out", (dir / "pki").string(), "--client", gateway});
  std::string pub = run_receiver_tool({"keygen", "--out", (dir / "province.key").string()});
  while (!pub.empty() && (pub.back() == '\n' || pub.back() == ' ')) pub.pop_back();
  return pub;
}

// `ravao-receiver serve` on 127.0.0.1 (a free port), with the PKI of
// make_receiver_keys() and its database in DIR/receiver.db.
struct receiver {
  pid_t pid = -1;
  int port = 0;
  explicit receiver(const fs::path& dir) {
    const fs::path out = dir / "serve.out";
    pid = ::fork();
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int e = ::open((dir / "receiver.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(o, 1);
      ::dup2(e, 2);
      const std::string cert = (dir / "pki/server.pem").string(), key = (dir / "pki/server.key").string(),
                        db = (dir / "receiver.db").string(), ca = (dir / "pki/ca.pem").string();
      ::execl(RAVAO_RECEIVER_PATH, RAVAO_RECEIVER_PATH, "serve", "--listen", "127.0.0.1:0", "--cert", cert.c_str(),
              "--key", key.c_str(), "--db", db.c_str(), "--client-ca", ca.c_str(), "--log-level", "warning", nullptr);
      ::_exit(127);
    }
    const auto end = clock_type::now() + 20s;
    while (clock_type::now() < end) {
      std::ifstream in(out);
      std::string line;
      if (std::getline(in, line) && line.starts_with("listening on ")) {
        port = std::stoi(line.substr(line.rfind(':') + 1));
        return;
      }
      std::this_thread::sleep_for(20ms);
    }
    throw std::runtime_error("ravao-receiver did not start");
  }
  ~receiver() {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
  }
  receiver(const receiver&) = delete;
  receiver& operator=(const receiver&) = delete;
};

// The [sync] section for ravaod uploading to `r` with the keys of
// make_receiver_keys(); `extra`: more keys of the section.
inline std::string receiver_sync_section(const fs::path& dir, const receiver& r, const std::string& public_key,
                                         std::string_view extra = {}) {
  return fmt::format("\n[sync]\nurl = \"https://localhost:{}/\"\nca_file = \"{}\"\nclient_cert = \"{}\"\n"
                     "client_key = \"{}\"\npublic_key = \"{}\"\ntime_sync_flag = \"{}\"\n{}",
                     r.port, (dir / "pki/ca.pem").string(), (dir / "pki/client.pem").string(),
                     (dir / "pki/client.key").string(), public_key, (dir / "clock-synced").string(), extra);
}

}  // namespace ravao::bench
