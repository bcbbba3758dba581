// `ravao-web user ...` (web/auth/user_command.hpp) run in a real child
// process: passwords from stdin and from a terminal with echo off, exit
// statuses, and the file the next process reads.

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <string>
#include <vector>

#include "support/harness.hpp"
#include "web/auth/account_store.hpp"
#include "web/auth/user_command.hpp"

namespace fs = std::filesystem;
using ravao::test::temp_dir;
using namespace ravao::web;
using namespace std::chrono_literals;

namespace {

struct outcome {
  int status = -1;
  std::string out;  // stdout (or the whole terminal)
  std::string err;
};

// The child: runs the command with the words given, exits with its status.
[[noreturn]] void run_child(const std::vector<std::string>& args, const fs::path& users) {
  std::vector<std::string_view> words(args.begin(), args.end());
  const int rc = run_user_command(words, users);
  std::fflush(stdout);
  std::fflush(stderr);
  ::_exit(rc);
}

int wait_child(pid_t pid) {
  int status = 0;
  BOOST_TEST_REQUIRE(::waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Reads `fds` until each reaches EOF (or EIO: a pty whose slave closed), or
// until `stop` says enough; fails the test at the deadline.
template <class Stop>
void read_until(std::vector<std::pair<int, std::string*>> fds, Stop stop) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!fds.empty() && !stop()) {
    std::vector<pollfd> p;
    for (auto& [fd, _] : fds) p.push_back({fd, POLLIN, 0});
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    BOOST_TEST_REQUIRE(left.count() > 0, "the user command did not finish within 60 s");
    ::poll(p.data(), p.size(), static_cast<int>(left.count()));
    for (std::size_t i = p.size(); i-- > 0;) {
      if (p[i].revents == 0) continue;
      char buf[4096];
      const ssize_t n = ::read(p[i].fd, buf, sizeof buf);
      if (n > 0) fds[i].second->append(buf, static_cast<std::size_t>(n));
      else fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
}

// `ravao-web user ARGS...` with `input` on stdin (a pipe, then EOF).
outcome run(std::vector<std::string> args, const fs::path& users, std::string_view input = {}) {
  int in[2], out[2], err[2];
  BOOST_TEST_REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
  BOOST_TEST_REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  BOOST_TEST_REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
  const pid_t pid = ::fork();
  BOOST_TEST_REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    // Fork without exec: the pipes' other ends must go, or stdin never ends.
    for (const int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) ::close(fd);
    run_child(args, users);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (!input.empty()) BOOST_TEST(::write(in[1], input.data(), input.size()) == static_cast<ssize_t>(input.size()));
  ::close(in[1]);
  outcome o;
  read_until({{out[0], &o.out}, {err[0], &o.err}}, [] { return false; });
  ::close(out[0]);
  ::close(err[0]);
  o.status = wait_child(pid);
  return o;
}

// `user add alice` in a child whose controlling terminal is the pty's
// slave side (stdin, stdout and stderr); the parent keeps both descriptors.
pid_t add_alice_on_terminal(int master, int slave, const fs::path& users) {
  const pid_t pid = ::fork();
  BOOST_TEST_REQUIRE(pid >= 0);
  if (pid == 0) {
      ::close(master);
      ::setsid();
      ::ioctl(slave, TIOCSCTTY, 0);
      ::dup2(slave, 0);
      ::dup2(slave, 1);
      ::dup2(slave, 2);
      ::close(slave);
      run_child({"add", "alice", "--role", "staff", "--counter", "quay-1"}, users);
  }
  return pid;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

account_store reopen(const fs::path& users) {
  auto s = account_store::open(users);
  BOOST_TEST_REQUIRE(s.has_value());
  return std::move(*s);
}

}  // namespace

BOOST_AUTO_TEST_CASE(add_with_password_stdin_then_list_passwd_disable_and_enable) {
  temp_dir dir;
  const fs::path users = dir / "users.json";
  auto added = run({"add", "alice", "--role", "staff", "--counter", "quay-1", "--counter", "quay-2", "--password-stdin"},
                   users, "mật khẩu 1\n");
  BOOST_TEST(added.status == 0, added.err);
  BOOST_TEST(contains(added.out, "user alice added (staff: quay-1, quay-2)"), added.out);
  BOOST_TEST(reopen(users).verify("alice", "mật khẩu 1").has_value());

  // The last line without its newline counts too; "\r\n" is one newline.
  BOOST_TEST(run({"add", "bao", "--role", "supervisor", "--password-stdin"}, users, "654321").status == 0);
  BOOST_TEST(run({"passwd", "alice", "--password-stdin"}, users, "mới-123456\r\n").status == 0);
  BOOST_TEST(reopen(users).verify("alice", "mới-123456").has_value());
  BOOST_TEST(reopen(users).verify("bao", "654321").has_value());

  BOOST_TEST(run({"disable", "alice"}, users).status == 0);
  auto listed = run({"list"}, users);
  BOOST_TEST(listed.status == 0);
  BOOST_TEST(contains(listed.out, "NAME"), listed.out);
  BOOST_TEST(contains(listed.out, "disabled"), listed.out);
  BOOST_TEST(contains(listed.out, "quay-1,quay-2"), listed.out);
  BOOST_TEST(contains(listed.out, "(all)"), listed.out);
  BOOST_TEST(!contains(listed.out, "$argon2id$"), listed.out);
  BOOST_TEST((reopen(users).verify("alice", "mới-123456").error().code == std::errc::operation_not_permitted));

  BOOST_TEST(run({"enable", "alice"}, users).status == 0);
  BOOST_TEST(reopen(users).verify("alice", "mới-123456").has_value());
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2_and_failures_exit_1_with_a_reason) {
  temp_dir dir;
  const fs::path users = dir / "users.json";
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {},
           {"remove", "alice"},
           {"add", "alice", "--password-stdin"},
           {"add", "alice", "--role", "staff", "--password-stdin"},
           {"add", "--role", "staff", "--counter", "quay-1"},
           {"list", "alice"},
           {"disable", "alice", "--role", "staff"},
           {"passwd", "alice", "--bogus"}}) {
    const auto o = run(bad, users, "123456\n");
    BOOST_TEST(o.status == 2, o.err);
    BOOST_TEST(contains(o.err, "usage:"), o.err);
  }
  BOOST_TEST(!fs::exists(users));

  const auto short_password =
      run({"add", "alice", "--role", "staff", "--counter", "quay-1", "--password-stdin"}, users, "12345\n");
  BOOST_TEST(short_password.status == 1);
  BOOST_TEST(contains(short_password.err, "at least 6"), short_password.err);
  const auto no_line = run({"add", "alice", "--role", "staff", "--counter", "quay-1", "--password-stdin"}, users);
  BOOST_TEST(no_line.status == 1);
  BOOST_TEST(contains(no_line.err, "no password"), no_line.err);
  const auto not_a_terminal = run({"add", "alice", "--role", "staff", "--counter", "quay-1"}, users, "123456\n");
  BOOST_TEST(not_a_terminal.status == 1);
  BOOST_TEST(contains(not_a_terminal.err, "--password-stdin"), not_a_terminal.err);
  const auto bad_name = run({"add", "Alice", "--role", "staff", "--counter", "quay-1", "--password-stdin"}, users,
                            "123456\n");
  BOOST_TEST(bad_name.status == 1);
  BOOST_TEST(contains(bad_name.err, "a-z 0-9"), bad_name.err);
  const auto nobody = run({"disable", "nobody"}, users);
  BOOST_TEST(nobody.status == 1);
  BOOST_TEST(contains(nobody.err, "no user"), nobody.err);
  BOOST_TEST(!fs::exists(users));
  const auto no_folder = run({"add", "alice", "--role", "staff", "--counter", "quay-1", "--password-stdin"},
                             dir / "missing" / "users.json", "123456\n");
  BOOST_TEST(no_folder.status == 1);
  BOOST_TEST(contains(no_folder.err, "state_dir"), no_folder.err);

  BOOST_TEST(run({"add", "alice", "--role", "staff", "--counter", "quay-1", "--password-stdin"}, users, "123456\n")
                 .status == 0);
  const auto twice =
      run({"add", "alice", "--role", "staff", "--counter", "quay-1", "--password-stdin"}, users, "123456\n");
  BOOST_TEST(twice.status == 1);
  BOOST_TEST(contains(twice.err, "exists"), twice.err);

  // A file others may read is refused, and the admin is told what to do.
  ::chmod(users.c_str(), 0644);
  const auto refused = run({"list"}, users);
  BOOST_TEST(refused.status == 1);
  BOOST_TEST(contains(refused.err, "chmod 600"), refused.err);
}

BOOST_AUTO_TEST_CASE(on_a_terminal_the_password_is_asked_twice_and_never_echoed) {
  temp_dir dir;
  const fs::path users = dir / "users.json";
  const auto session = [&](std::string_view first, std::string_view second) {
    int master = -1, slave = -1;
    BOOST_TEST_REQUIRE(::openpty(&master, &slave, nullptr, nullptr, nullptr) == 0);
    const pid_t pid = add_alice_on_terminal(master, slave, users);
    ::close(slave);
    outcome o;
    // Each answer is typed only once its prompt shows (echo is off by then).
    read_until({{master, &o.out}}, [&] { return contains(o.out, "New password for alice: "); });
    BOOST_TEST_REQUIRE(::write(master, first.data(), first.size()) == static_cast<ssize_t>(first.size()));
    read_until({{master, &o.out}}, [&] { return contains(o.out, "Repeat the password: "); });
    BOOST_TEST_REQUIRE(::write(master, second.data(), second.size()) == static_cast<ssize_t>(second.size()));
    read_until({{master, &o.out}}, [] { return false; });
    ::close(master);
    o.status = wait_child(pid);
    return o;
  };

  const auto differ = session("sésame-1\n", "sésame-2\n");
  BOOST_TEST(differ.status == 1);
  BOOST_TEST(contains(differ.out, "differ"), differ.out);
  BOOST_TEST(!fs::exists(users));

  const auto same = session("sésame-1\n", "sésame-1\n");
  BOOST_TEST(same.status == 0, same.out);
  BOOST_TEST(contains(same.out, "user alice added"), same.out);
  BOOST_TEST(!contains(same.out, "sésame"), same.out);
  BOOST_TEST(reopen(users).verify("alice", "sésame-1").has_value());
}

BOOST_AUTO_TEST_CASE(ctrl_c_at_the_password_prompt_leaves_the_terminal_echoing) {
  temp_dir dir;
  const fs::path users = dir / "users.json";
  int master = -1, slave = -1;
  BOOST_TEST_REQUIRE(::openpty(&master, &slave, nullptr, nullptr, nullptr) == 0);
  termios before{};
  BOOST_TEST_REQUIRE(::tcgetattr(slave, &before) == 0);
  BOOST_TEST_REQUIRE((before.c_lflag & ECHO) != 0);
  BOOST_TEST_REQUIRE((before.c_lflag & ISIG) != 0);
  const pid_t pid = add_alice_on_terminal(master, slave, users);
  // The parent keeps its slave descriptor to read the terminal's mode after
  // the child is gone (the master never sees EOF meanwhile: read to the prompt only).
  outcome o;
  read_until({{master, &o.out}}, [&] { return contains(o.out, "New password for alice: "); });
  termios asking{};
  BOOST_TEST_REQUIRE(::tcgetattr(slave, &asking) == 0);
  BOOST_TEST((asking.c_lflag & ECHO) == 0u, "echo is off at the prompt");
  const char interrupt = static_cast<char>(asking.c_cc[VINTR]);
  BOOST_TEST_REQUIRE(::write(master, &interrupt, 1) == 1);
  o.status = wait_child(pid);
  BOOST_TEST(o.status == 128 + SIGINT, "the command ends as interrupted, exit " << o.status);
  termios after{};
  BOOST_TEST_REQUIRE(::tcgetattr(slave, &after) == 0);
  BOOST_TEST((after.c_lflag & ECHO) != 0u, "the terminal echoes again");
  BOOST_TEST(!fs::exists(users));
  ::close(slave);
  ::close(master);
}
