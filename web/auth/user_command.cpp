#include "web/auth/user_command.hpp"

#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <sodium.h>

#include "common/text.hpp"
#include "web/auth/account_store.hpp"
#include "web/auth/csrf.hpp"

namespace ravao::web {
namespace {

constexpr std::string_view usage_text =
    "usage: ravao-web [--config FILE] user add NAME --role staff|supervisor [--counter ID]... [--password-stdin]\n"
    "       ravao-web [--config FILE] user passwd NAME [--password-stdin]\n"
    "       ravao-web [--config FILE] user disable NAME\n"
    "       ravao-web [--config FILE] user enable NAME\n"
    "       ravao-web [--config FILE] user list\n";

constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

// A password held in memory: wiped when it goes.
struct secret {
  std::string text;
  secret() = default;
  secret(const secret&) = delete;
  secret& operator=(const secret&) = delete;
  ~secret() {
    if (!text.empty()) sodium_memzero(text.data(), text.size());
  }
};

int usage(std::string_view problem) {
  fmt::print(stderr, "ravao-web user: {}\n{}", problem, usage_text);
  return exit_usage;
}

int failed(const error& e) {
  fmt::print(stderr, "ravao-web user: {}\n", e.context.empty() ? e.message() : e.context);
  return exit_failed;
}

// One line from stdin (fd 0), without its "\n" or "\r\n"; false at EOF
// before any byte or on a read error. Reads byte by byte so nothing after
// the line is consumed.
bool read_line(secret& out) {
  out.text.clear();
  bool any = false;
  for (;;) {
    char c = 0;
    const ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return any;
    any = true;
    if (c == '\n') break;
    if (out.text.size() < 4096) out.text.push_back(c);
  }
  if (!out.text.empty() && out.text.back() == '\r') out.text.pop_back();
  return true;
}

// The terminal's mode while a prompt has echo off, for the signal handler
// below: a person who gives up with Ctrl-C (or a SIGTERM, SIGHUP, SIGQUIT)
// gets a terminal that echoes again. tcsetattr is async-signal-safe.
termios prompt_saved_mode{};

extern "C" void restore_terminal_and_die(int sig) {
  ::tcsetattr(STDIN_FILENO, TCSANOW, &prompt_saved_mode);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

constexpr std::array prompt_signals{SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// Asks on the terminal with echo off; the terminal's mode is restored, also
// when a signal ends the process at the prompt. The prompt comes after echo
// is off, so nothing typed after it shows.
bool prompt_no_echo(std::string_view prompt, secret& out) {
  termios saved{};
  const bool tty = ::tcgetattr(STDIN_FILENO, &saved) == 0;
  std::array<struct sigaction, prompt_signals.size()> previous{};
  if (tty) {
    prompt_saved_mode = saved;
    struct sigaction restore{};
    restore.sa_handler = restore_terminal_and_die;
    ::sigemptyset(&restore.sa_mask);
    for (std::size_t i = 0; i < prompt_signals.size(); ++i) ::sigaction(prompt_signals[i], &restore, &previous[i]);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  fmt::print(stderr, "{}", prompt);
  std::fflush(stderr);
  const bool ok = read_line(out);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    for (std::size_t i = 0; i < prompt_signals.size(); ++i) ::sigaction(prompt_signals[i], &previous[i], nullptr);
  }
  return ok;
}

// The new password: one line of stdin, or asked twice on a terminal.
std::optional<int> read_password(std::string_view user, bool from_stdin, secret& out) {
  if (from_stdin) {
    if (!read_line(out)) return failed({{}, "--password-stdin: no password line on stdin"});
    return std::nullopt;
  }
  if (!::isatty(STDIN_FILENO))
    return failed({{}, "stdin is not a terminal: give the password with --password-stdin"});
  secret again;
  if (!prompt_no_echo(fmt::format("New password for {}: ", user), out) ||
      !prompt_no_echo("Repeat the password: ", again))
    return failed({{}, "no password given"});
  if (!secret_equal(out.text, again.text)) return failed({{}, "the two passwords differ; nothing changed"});
  return std::nullopt;
}

struct options {
  std::vector<std::string_view> positional;
  std::optional<std::string_view> role;
  std::vector<std::string> counters;
  bool password_stdin = false;
};

std::optional<options> parse_options(std::span<const std::string_view> args, std::string& problem) {
  options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--password-stdin") {
      o.password_stdin = true;
    } else if (a == "--role" && has_value) {
      o.role = args[++i];
    } else if (a == "--counter" && has_value) {
      o.counters.emplace_back(args[++i]);
    } else if (a.starts_with("-")) {
      problem = fmt::format("unknown option or missing value: {}", text::escape_for_log(a, 40));
      return std::nullopt;
    } else {
      o.positional.push_back(a);
    }
  }
  return o;
}

int list(const account_store& store) {
  const auto accounts = store.list();
  if (accounts.empty()) {
    fmt::print("no users in {} (add one: ravao-web user add NAME --role ...)\n", store.path().string());
    return 0;
  }
  fmt::print("{:<32}  {:<10}  {:<8}  {:<20}  {}\n", "NAME", "ROLE", "STATUS", "CHANGED", "COUNTERS");
  for (const account& a : accounts)
    fmt::print("{:<32}  {:<10}  {:<8}  {:<20}  {}\n", a.name, to_string(a.role), a.disabled ? "disabled" : "active",
               a.changed, a.role == role::supervisor ? std::string("(all)") : text::join(a.counters, ","));
  return 0;
}

}  // namespace

std::string_view user_command_usage() { return usage_text; }

int run_user_command(std::span<const std::string_view> args, const std::filesystem::path& users_file) {
  if (args.empty()) return usage("which command? add, passwd, disable, enable or list");
  const std::string_view command = args.front();
  std::string problem;
  const auto o = parse_options(args.subspan(1), problem);
  if (!o) return usage(problem);
  const std::size_t want_names = command == "list" ? 0 : 1;
  if (command != "list" && command != "add" && command != "passwd" && command != "disable" && command != "enable")
    return usage(fmt::format("unknown command: {}", text::escape_for_log(command, 40)));
  if (o->positional.size() != want_names)
    return usage(want_names ? "give exactly one user NAME" : "list takes no NAME");
  if (command != "add" && (o->role || !o->counters.empty())) return usage("--role and --counter belong to add");
  if (command != "add" && command != "passwd" && o->password_stdin)
    return usage("--password-stdin belongs to add and passwd");

  auto store = account_store::open(users_file);
  if (!store) return failed(store.error());
  if (command == "list") return list(*store);

  const std::string_view name = o->positional.front();
  if (!valid_user_name(name))
    return failed({{}, fmt::format("user name \"{}\": expected 1 to 32 of a-z 0-9 . _ -", text::escape_for_log(name, 40))});
  if (command == "disable" || command == "enable") {
    const bool disable = command == "disable";
    if (auto r = store->set_disabled(name, disable); !r) return failed(r.error());
    fmt::print("user {} {}{}\n", name, disable ? "disabled" : "enabled",
               disable ? " (the console ends its sessions within seconds)" : "");
    return 0;
  }
  if (command == "add") {
    if (!o->role) return usage("add needs --role staff or --role supervisor");
    const auto r = parse_role(*o->role);
    if (!r) return failed(r.error());
    if (*r == role::staff && o->counters.empty()) return usage("a staff user needs at least one --counter ID");
    if (store->find(name)) return failed({{}, fmt::format("user {} exists (passwd changes the password)", name)});
    secret password;
    if (auto e = read_password(name, o->password_stdin, password)) return *e;
    const auto added = store->add(name, *r, o->counters, password.text);
    if (!added) return failed(added.error());
    fmt::print("user {} added ({}{}{})\n", name, to_string(*r), added->counters.empty() ? "" : ": ",
               text::join(added->counters, ", "));
    return 0;
  }
  if (!store->find(name)) return failed({{}, fmt::format("no user {} (list shows them)", name)});
  secret password;
  if (auto e = read_password(name, o->password_stdin, password)) return *e;
  if (auto r = store->set_password(name, password.text); !r) return failed(r.error());
  fmt::print("password of {} changed (the console ends its sessions within seconds)\n", name);
  return 0;
}

}  // namespace ravao::web
