// ravaoctl: inspect a running ravaod through its control socket.
// Usage: ravaoctl --help. Protocol: docs/control.md.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>
#include <algorithm>
#include <map>
#include <set>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "config/config.hpp"
#include "core/text.hpp"
#include "ctl/table.hpp"
#include "slip/png.hpp"
#include "slip/render_job.hpp"

namespace json = boost::json;

namespace {

constexpr const char* default_config = "/etc/ravao/ravao.toml";
constexpr const char* default_socket = "/run/ravao/ravaod.sock";

// Exit codes: 0 ok, 1 the daemon answered with an error, 2 usage,
// 3 daemon not running, 4 permission denied, 5 configuration unreadable.
enum exit_code { ok = 0, daemon_error = 1, usage_error = 2, not_running = 3, denied = 4, bad_config = 5 };

void usage(std::FILE* to) {
  std::fprintf(to,
      "usage: ravaoctl [--config FILE | --socket PATH] [--json] COMMAND [options]\n"
      "commands:\n"
      "  status                         site, store, devices online, visits today, open visits, alarms\n"
      "  counters                       every counter: mode, scanner state, today's visits\n"
      "  visits [--since T] [--counter C] [--open] [--limit N]\n"
      "                                 visits, newest first (ID numbers and names masked)\n"
      "  events [--since T] [--counter C] [--after-seq N] [--limit N]\n"
      "                                 the record log in sequence order\n"
      "  devices                        every scanner and printer: state, why, how it was matched, last event;\n"
      "                                 USB devices no entry took (ids and port paths for the configuration)\n"
      "  ping                           prints pong when ravaod answers\n"
      "  slip print --counter C         prints a declaration slip at the counter's printer\n"
      "  slip reprint N                 prints slip N again (marked as a reprint)\n"
      "  slip preview --out FILE.png [--counter C]\n"
      "                                 draws the slip the counter would print, without printing\n"
      "  card print --counter C         prints the counter's command card (the barcodes staff scan)\n"
      "  printer test --counter C       prints a test page at the counter's printer\n"
      "  jobs [--printer P] [--pending] [--limit N]\n"
      "                                 print jobs, newest first\n"
      "  declare (--slip N | --counter C) NAME=VALUE...\n"
      "                                 records a declaration made on a visitor's behalf; names: name, birth,\n"
      "                                 sex, nationality, id, phone, address, fever, cough, breath, throat,\n"
      "                                 taste, other, contact, travel, date (docs/declarations.md)\n"
      "T: today | 30m | 2h | 7d | 2026-11-23 | 2026-11-23T08:30 (site local time)\n"
      "The socket is taken from --socket, else from the configuration (--config, default %s).\n",
      default_config);
}

[[noreturn]] void die(exit_code code, const std::string& msg) {
  std::fprintf(stderr, "ravaoctl: %s\n", msg.c_str());
  std::exit(code);
}

// The daemon's result for one request; any failure ends ravaoctl with its exit code.
json::value call(const std::string& socket_path, const json::object& request) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die(daemon_error, fmt::format("socket: {}", std::strerror(errno)));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) die(usage_error, "socket path too long: " + socket_path);
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    if (err == ENOENT || err == ECONNREFUSED)
      die(not_running, fmt::format("ravaod is not running (no control socket at {}); start it with "
                                   "`systemctl start ravao` and see `journalctl -u ravao`. If ravaod runs "
                                   "with a different [control] socket (changed since it started), name it "
                                   "with --socket PATH", socket_path));
    if (err == EACCES || err == EPERM)
      die(denied, fmt::format("permission denied on {}: add your user to the socket's group "
                              "(`ls -l {}` shows it; e.g. `sudo usermod -aG ravao $USER`, then log in again)",
                              socket_path, socket_path));
    die(daemon_error, fmt::format("cannot connect to {}: {}", socket_path, std::strerror(err)));
  }
  const std::string line = json::serialize(request) + "\n";
  if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size()))
    die(daemon_error, fmt::format("cannot send to ravaod: {}", std::strerror(errno)));
  std::string in;
  char buf[65536];
  while (in.find('\n') == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die(daemon_error, fmt::format("no answer from ravaod: {}", std::strerror(errno)));
    if (n == 0) break;
    in.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (in.empty()) die(daemon_error, "ravaod closed the connection without answering");
  boost::system::error_code ec;
  json::value v = json::parse(in.substr(0, in.find('\n')), ec);
  if (ec || !v.is_object()) die(daemon_error, "ravaod sent an answer that is not JSON");
  const auto& o = v.as_object();
  const auto* okv = o.if_contains("ok");
  if (!okv || !okv->is_bool() || !okv->as_bool()) {
    const auto* e = o.if_contains("error");
    const std::string msg = e && e->is_string() ? std::string(e->as_string()) : "unknown error";
    die(msg.starts_with("permission denied") ? denied : daemon_error, msg);
  }
  const auto* r = o.if_contains("result");
  return r ? *r : json::value(nullptr);
}

// Every value shown in a terminal is escaped: names and payloads come from
// scanned cards, and control or bidi characters must not reach the screen.
std::string str(const json::value& v) {
  if (v.is_string()) {
    if (v.as_string().empty()) return "-";
    return ravao::text::escape_for_log(std::string_view(v.as_string()), 256);
  }
  if (v.is_null()) return "-";
  if (v.is_bool()) return v.as_bool() ? "yes" : "no";
  return json::serialize(v);
}

std::string field(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v ? str(*v) : "-";
}

void print_status(const json::value& r) {
  const auto& o = r.as_object();
  const auto& site = o.at("site").as_object();
  const auto& st = o.at("store").as_object();
  std::printf("site:          %s (%s)\n", field(site, "name").c_str(), field(site, "id").c_str());
  std::printf("ravaod:        %s, pid %s, since %s\n", field(o, "version").c_str(), field(o, "pid").c_str(),
              field(o, "started").c_str());
  std::printf("clock:         %s%s\n", field(o, "now").c_str(),
              o.at("clock_synchronised").as_bool() ? "" : " (NOT synchronised: times are provisional)");
  std::printf("counters:      %s, devices online %s/%s\n", field(o, "counters").c_str(),
              field(o, "devices_online").c_str(), field(o, "devices_total").c_str());
  std::printf("visits today:  %s, open now %s, duplicates %s, rejected scans %s\n", field(o, "visits_today").c_str(),
              field(o, "open_visits").c_str(), field(o, "duplicates").c_str(), field(o, "rejected").c_str());
  std::printf("store:         %s, %s, %s bytes, last record #%s\n", field(st, "path").c_str(),
              st.at("available").as_bool() ? "ok" : ("UNAVAILABLE: " + field(st, "error")).c_str(),
              field(st, "file_bytes").c_str(), field(st, "last_seq").c_str());
  if (const auto lr = field(o, "last_reload"); !lr.empty() && lr != "-") std::printf("last reload:   %s\n", lr.c_str());
  const auto& alarms = o.at("alarms").as_array();
  for (const auto& a : alarms) std::printf("ALARM:         %s\n", str(a).c_str());
}

void print_rows(const json::value& r, const std::vector<std::pair<std::string, std::string>>& cols) {
  ravao::ctl::table t;
  std::vector<std::string> header;
  for (const auto& c : cols) header.push_back(c.second);
  t.add(header);
  for (const auto& row : r.as_array()) {
    std::vector<std::string> cells;
    for (const auto& c : cols) cells.push_back(field(row.as_object(), c.first));
    t.add(cells);
  }
  std::cout << t.render();
  if (r.as_array().empty()) std::cout << "(none)\n";
}

std::string socket_from_config(const std::string& path, bool explicit_config) {
  auto cfg = ravao::load_config(path);
  if (cfg) return cfg->control.socket.string();
  if (!explicit_config && access(path.c_str(), F_OK) != 0) return default_socket;
  std::string msg = "cannot use the configuration to find the socket:";
  for (const auto& d : cfg.error()) msg += "\n  " + d.to_string();
  die(bad_config, msg + "\n(or name the socket with --socket PATH)");
}

// Draws the preview the daemon described with the code that prints.
int write_preview(const json::value& r, const std::string& out_path) {
  const auto& o = r.as_object();
  auto fonts = ravao::slip::fonts::open_default();
  if (!fonts) die(daemon_error, fonts.error().message());
  auto image = ravao::slip::render_job(*fonts, std::string(o.at("kind").as_string()),
                                       json::serialize(o.at("content")), static_cast<int>(o.at("width_dots").as_int64()));
  if (!image) die(daemon_error, image.error().message());
  if (auto w = ravao::slip::write_png(*image, out_path); !w) die(daemon_error, w.error().message());
  std::printf("%s: %d x %d dots (%s paper)\n", out_path.c_str(), image->width, image->height,
              image->width >= 576 ? "80 mm" : "58 mm");
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = default_config, socket_path, command, subcommand, out_path;
  json::array declared_fields;
  bool explicit_config = false, as_json = false;
  json::object request;
  const auto need = [&](int& i) -> std::string {
    if (i + 1 >= argc) die(usage_error, fmt::format("{} needs a value", argv[i]));
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") { usage(stdout); return ok; }
    else if (a == "--config" || a == "-c") { config_path = need(i); explicit_config = true; }
    else if (a == "--socket") socket_path = need(i);
    else if (a == "--json") as_json = true;
    else if (a == "--since") request["since"] = need(i);
    else if (a == "--counter") request["counter"] = need(i);
    else if (a == "--open") request["open"] = true;
    else if (a == "--pending") request["pending"] = true;
    else if (a == "--printer") request["printer"] = need(i);
    else if (a == "--slip") request["slip"] = need(i);
    else if (a == "--out") out_path = need(i);
    else if (a == "--limit" || a == "--after-seq") {
      const std::string v = need(i);
      char* end = nullptr;
      const long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 0 || (a == "--limit" && (n < 1 || n > 100000))) die(usage_error, fmt::format("{} needs a whole number{}, got \"{}\"", a, a == "--limit" ? " from 1 to 100000" : "", v));
      request[a == "--limit" ? "limit" : "after_seq"] = n;
    } else if (!a.starts_with("-") && command.empty()) command = a;
    else if (!a.starts_with("-") && (command == "slip" || command == "card" || command == "printer") &&
             subcommand.empty()) subcommand = a;
    else if (!a.starts_with("-") && command == "slip" && subcommand == "reprint" && !request.contains("number"))
      request["number"] = a;
    else if (!a.starts_with("-") && command == "declare" && a.find('=') != std::string_view::npos) {
      const auto eq = a.find('=');
      declared_fields.push_back(json::array{std::string(a.substr(0, eq)), std::string(a.substr(eq + 1))});
    } else { usage(stderr); die(usage_error, fmt::format("unknown argument \"{}\"", a)); }
  }
  if (command == "slip" || command == "card" || command == "printer") {
    static const std::map<std::string, std::set<std::string>> subcommands = {
        {"slip", {"print", "reprint", "preview"}}, {"card", {"print"}}, {"printer", {"test"}}};
    if (!subcommands.at(command).contains(subcommand))
      die(usage_error, fmt::format("\"{}\" needs one of: {}", command, fmt::join(subcommands.at(command), ", ")));
    command += "." + subcommand;
  }
  if (command == "slip.reprint" && !request.contains("number")) die(usage_error, "slip reprint needs the slip number");
  if (command == "slip.preview" && out_path.empty()) die(usage_error, "slip preview needs --out FILE.png");
  if (!out_path.empty() && command != "slip.preview") die(usage_error, "--out applies to \"slip preview\" only");
  if (command == "declare") {
    if (declared_fields.empty()) die(usage_error, "declare needs the form's fields as NAME=VALUE (see --help)");
    request["fields"] = std::move(declared_fields);
  }
  if (command.empty()) { usage(stderr); return usage_error; }
  static const std::set<std::string> commands = {"status", "counters", "visits", "events", "devices", "ping",
                                                 "slip.print", "slip.reprint", "slip.preview", "card.print",
                                                 "printer.test", "jobs", "declare"};
  if (!commands.contains(command)) {
    usage(stderr);
    die(usage_error, fmt::format("unknown command \"{}\"", command));
  }
  // Options that the command does not use are a usage error, not ignored.
  const std::map<std::string, std::set<std::string>> allowed = {
      {"visits", {"since", "counter", "open", "limit"}},
      {"events", {"since", "counter", "after_seq", "limit"}},
      {"slip.print", {"counter"}},
      {"slip.reprint", {"number"}},
      {"slip.preview", {"counter"}},
      {"card.print", {"counter"}},
      {"printer.test", {"counter"}},
      {"jobs", {"printer", "pending", "limit"}},
      {"declare", {"slip", "counter", "fields"}},
  };
  for (const char* needs_counter : {"slip.print", "card.print", "printer.test"})
    if (command == needs_counter && !request.contains("counter")) die(usage_error, command + " needs --counter C");
  for (const auto& [key, value] : request) {
    const auto it = allowed.find(command);
    if (it == allowed.end() || !it->second.contains(std::string(key))) {
      std::string opt(key);
      std::replace(opt.begin(), opt.end(), '_', '-');
      die(usage_error, fmt::format("--{} does not apply to \"{}\"", opt, command));
    }
    if (value.is_string() && value.as_string().empty())
      die(usage_error, fmt::format("--{} needs a value", std::string(key)));
  }
  if (socket_path.empty()) socket_path = socket_from_config(config_path, explicit_config);
  request["cmd"] = command;
  const json::value result = call(socket_path, request);
  if (command == "slip.preview") return write_preview(result, out_path);
  if (as_json) {
    std::cout << json::serialize(result) << '\n';
    return ok;
  }
  if (command == "ping") std::cout << str(result) << '\n';
  else if (command == "status") print_status(result);
  else if (command == "counters")
    print_rows(result, {{"id", "COUNTER"}, {"name", "NAME"}, {"mode", "MODE"}, {"scanner", "SCANNER"},
                          {"state", "STATE"}, {"visits_today", "TODAY"}, {"open_visits", "OPEN"},
                          {"last_scan", "LAST SCAN"}, {"reason", "DETAIL"}});
  else if (command == "visits")
    print_rows(result, {{"id", "VISIT"}, {"counter", "COUNTER"}, {"person_name", "NAME"}, {"person_id", "ID NUMBER"},
                          {"opened", "IN"}, {"closed", "OUT"}, {"close_reason", "CLOSED BY"}});
  else if (command == "events")
    print_rows(result, {{"seq", "SEQ"}, {"time", "TIME"}, {"type", "TYPE"}, {"counter", "COUNTER"},
                          {"payload_kind", "KIND"}, {"person_id", "ID NUMBER"}, {"flags", "FLAGS"}});
  else if (command == "devices")
    print_rows(result, {{"id", "DEVICE"}, {"type", "TYPE"}, {"kind", "KIND"}, {"counter", "COUNTER"},
                          {"state", "STATE"}, {"since", "SINCE"}, {"match", "MATCHED BY"}, {"attached", "ATTACHED"},
                          {"paper", "PAPER"}, {"last_event", "LAST EVENT"}, {"reason", "DETAIL"}});
  else if (command == "jobs")
    print_rows(result, {{"id", "JOB"}, {"printer", "PRINTER"}, {"counter", "COUNTER"}, {"kind", "KIND"},
                          {"slip", "SLIP"}, {"state", "STATE"}, {"attempts", "TRIES"}, {"created", "CREATED"},
                          {"done", "DONE"}, {"error", "DETAIL"}});
  else if (command == "slip.print")
    std::printf("slip %s queued on printer %s (job %s)%s\n", field(result.as_object(), "slip").c_str(),
                field(result.as_object(), "printer").c_str(), field(result.as_object(), "job").c_str(),
                result.as_object().at("preprinted").as_bool() ? ", with the visitor's name and masked ID" : "");
  else if (command == "slip.reprint" || command == "card.print" || command == "printer.test")
    std::printf("job %s queued on printer %s\n", field(result.as_object(), "id").c_str(),
                field(result.as_object(), "printer").c_str());
  else if (command == "declare")
    std::printf("declaration recorded as record #%s%s\n", field(result.as_object(), "seq").c_str(),
                result.as_object().at("visit").as_int64() != 0
                    ? (" for visit " + field(result.as_object(), "visit")).c_str()
                    : "");
  return ok;
}
