// ravaoctl: inspect a running ravaod through its control socket.
// Usage: ravaoctl --help. Protocol: docs/control.md.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>
#include <algorithm>
#include <map>
#include <set>
#include <chrono>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "config/config.hpp"
#include "common/text.hpp"
#include "ctl/table.hpp"
#include "common/png.hpp"
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
      "                                 records a declaration made on a visitor's behalf; the names are the\n"
      "                                 form's (ravaoctl form); built in: name, birth, sex, nationality, id,\n"
      "                                 phone, province, ward, address, fever, cough, breath, throat, taste,\n"
      "                                 other, contact, travel, date (docs/declarations.md)\n"
      "  form                           the declaration form: each field's name, type and label, then the\n"
      "                                 consent sentence (docs/declarations.md)\n"
      "  visit checkout --counter C [--visit N]\n"
      "                                 checks a visitor out: visit N, else the counter's last open visit\n"
      "  visit undo --counter C         takes back the counter's last scan (within 10 minutes)\n"
      "  poster print --counter C       prints the site's check-in QR poster at the counter's printer\n"
      "  summary [--days N]             visits, declarations, slips, duplicates and check-outs per counter\n"
      "                                 and day, the last N days (1 to 31, default 7); today's visits by hour\n"
      "  sync [now]                     upload state: queue depth, last success, last error, next attempt,\n"
      "                                 records the server refused; `now` tries at once (and on a terminal\n"
      "                                 shows the backlog draining)\n"
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
      die(denied, fmt::format("permission denied on {}: add your user to the control group, which owns "
                              "the socket's folder (`stat -c %G {}` shows it; the package's: `sudo adduser "
                              "$USER ravao-ctl`, then log in again)",
                              socket_path, std::filesystem::path(socket_path).parent_path().string()));
    die(daemon_error, fmt::format("cannot connect to {}: {}", socket_path, std::strerror(err)));
  }
  const std::string line = json::serialize(request) + "\n";
  // A daemon that refuses this peer answers at once and closes, maybe before
  // the request is sent: its answer is still to be read, so a failed send
  // is reported only when there is no answer.
  int send_errno = 0;
  if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) send_errno = errno;
  std::string in;
  char buf[65536];
  while (in.find('\n') == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && send_errno == 0) die(daemon_error, fmt::format("no answer from ravaod: {}", std::strerror(errno)));
    if (n <= 0) break;
    in.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (in.empty() && send_errno != 0) die(daemon_error, fmt::format("cannot send to ravaod: {}", std::strerror(send_errno)));
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
  return ravao::text::json_for_terminal(json::serialize(v));
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
  if (const auto* web = o.if_contains("web"); web && web->is_object())
    std::printf("console:       %s (certificate SHA-256 %s)\n", field(web->as_object(), "url").c_str(),
                field(web->as_object(), "fingerprint").c_str());
  const auto& alarms = o.at("alarms").as_array();
  // Each alarm: its English message and its stable code (docs/control.md, "Alarms").
  for (const auto& a : alarms)
    std::printf("ALARM:         %s [%s]\n", field(a.as_object(), "message").c_str(), field(a.as_object(), "code").c_str());
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

void print_sync(const json::value& r) {
  const auto& o = r.as_object();
  const auto text = [&](std::string_view k) { return field(o, k); };
  std::printf("state:         %s%s\n", text("state").c_str(),
              text("url").empty() || text("url") == "-" ? " (no [sync] url: records are kept until it is set)"
                                                        : (" -> " + text("url")).c_str());
  std::printf("gateway:       %s (stream %s)\n", text("gateway").c_str(), text("stream").c_str());
  std::printf("queue:         %s records waiting (acknowledged through #%s of #%s)%s\n", text("depth").c_str(),
              text("acked_seq").c_str(), text("last_seq").c_str(),
              o.at("oldest_unsent").as_string().empty() ? "" : (", oldest from " + text("oldest_unsent")).c_str());
  std::printf("last success:  %s\n", o.at("last_success").as_string().empty() ? "never (since start)" : text("last_success").c_str());
  if (!o.at("last_error").as_string().empty())
    std::printf("last error:    %s: %s\n", text("last_error_time").c_str(), text("last_error").c_str());
  if (!o.at("next_attempt").as_string().empty()) std::printf("next attempt:  %s\n", text("next_attempt").c_str());
  std::printf("sent:          %s records in %s batches since start (%s the server already had)\n",
              text("records_sent").c_str(), text("batches_sent").c_str(), text("duplicates").c_str());
  if (!o.at("last_heartbeat").as_string().empty()) std::printf("heartbeat:     %s\n", text("last_heartbeat").c_str());
  std::printf("store:         %s bytes%s\n", text("store_bytes").c_str(),
              o.at("store_alarm").as_bool() ? " (ALARM: past [store] alarm_megabytes)" : "");
  if (!o.at("sealing").as_bool()) std::printf("ALARM:         no [sync] public_key: names and ID numbers are not kept\n");
  if (const auto* c = o.if_contains("conflict_seqs"); c && c->is_array() && !c->as_array().empty())
    std::printf("ALARM:         CONFLICT: the server holds other content for record #%s (HTTP 409): uploads held, "
                "records kept; the province must investigate\n",
                json::serialize(c->as_array().front()).c_str());
  if (const auto* held = o.if_contains("held"); held && held->is_int64() && held->as_int64() > 0) {
    std::vector<std::string> types;
    for (const auto& t : o.at("held_types").as_array()) types.push_back(str(t));
    std::printf("ALARM:         the server does not know record type %s: %s records kept and sent again with each "
                "heartbeat; upgrade ravao-receiver at the province\n",
                fmt::format("{}", fmt::join(types, ", ")).c_str(), text("held").c_str());
  }
  const auto& dead = o.at("dead_letter_list").as_array();
  if (!dead.empty()) {
    std::printf("refused by the server (%s, kept; in sequence order, lowest first):\n", text("dead_letters").c_str());
    for (const auto& d : dead)
      std::printf("  #%s  %s\n", field(d.as_object(), "seq").c_str(), field(d.as_object(), "reason").c_str());
  }
}

// visit checkout / visit undo: what was done, in words ("visit closed",
// "scan (record #41) undone", "nothing to undo at this counter").
void print_staff_command(const json::value& r) {
  const auto& o = r.as_object();
  if (o.at("seq").to_number<std::int64_t>() == 0) {
    std::printf("%s\n", field(o, "detail").c_str());
    return;
  }
  std::printf("%s: visit %s, record #%s\n", field(o, "detail").c_str(), field(o, "visit").c_str(),
              field(o, "seq").c_str());
}

// summary: one row per day and counter, oldest day first; then today's
// visits by hour.
void print_summary(const json::value& r) {
  const auto& o = r.as_object();
  print_rows(o.at("days"), {{"date", "DATE"}, {"counter", "COUNTER"}, {"visits", "VISITS"},
                            {"declarations", "DECLARATIONS"}, {"slips_issued", "SLIPS"},
                            {"slips_returned", "RETURNED"}, {"duplicates", "DUPLICATES"},
                            {"staff_checkouts", "CHECKOUTS"}});
  const auto& hours = o.at("today_hours").as_array();
  if (hours.empty()) return;
  std::printf("today by hour:\n");
  print_rows(hours, {{"counter", "COUNTER"}, {"hour", "HOUR"}, {"visits", "VISITS"}});
}

// `sync now` on a terminal: a progress bar while the backlog drains. Ends
// when the queue is empty (0) or the attempt failed (1).
int follow_sync(const std::string& socket_path, const json::value& first) {
  const auto depth_of = [](const json::value& v) { return v.as_object().at("depth").to_number<std::int64_t>(); };
  const auto sent_of = [](const json::value& v) { return v.as_object().at("records_sent").to_number<std::int64_t>(); };
  const auto failures_of = [](const json::value& v) {
    return v.as_object().at("consecutive_failures").to_number<std::int64_t>();
  };
  const std::string state0(first.as_object().at("state").as_string());
  if (state0 == "off") {
    print_sync(first);
    return daemon_error;
  }
  const std::int64_t sent0 = sent_of(first);
  // A failure from before this attempt is not this attempt's.
  const auto error_at = [](const json::value& v) { return json::serialize(v.as_object().at("last_error_wall_ms")); };
  const std::string error0 = error_at(first);
  const auto t0 = std::chrono::steady_clock::now();
  json::value cur = first;
  bool waiting_told = false;
  while (true) {
    const std::int64_t depth = depth_of(cur), done = sent_of(cur) - sent0;
    const std::string state(cur.as_object().at("state").as_string());
    if (state == "waiting_for_clock" && !waiting_told) {
      std::printf("waiting for a synchronised clock before connecting...\n");
      waiting_told = true;
    }
    const std::int64_t total = std::max<std::int64_t>(done + depth, 1);
    const int width = 40;
    const int filled = static_cast<int>(width * done / total);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("\r[%s%s] %lld/%lld records  %.0f/s ", std::string(static_cast<std::size_t>(filled), '#').c_str(),
                std::string(static_cast<std::size_t>(width - filled), '.').c_str(), static_cast<long long>(done),
                static_cast<long long>(total), secs > 0 ? static_cast<double>(done) / secs : 0.0);
    std::fflush(stdout);
    if (depth == 0) {
      std::printf("\nevery record is stored by the server (%lld uploaded in %.1f s)\n", static_cast<long long>(done), secs);
      return ok;
    }
    if (failures_of(cur) > 0 && state == "retrying" && error_at(cur) != error0) {
      std::printf("\nupload failed: %s\n", field(cur.as_object(), "last_error").c_str());
      if (const auto n = field(cur.as_object(), "next_attempt"); !n.empty() && n != "-")
        std::printf("next attempt at %s (records stay queued)\n", n.c_str());
      return daemon_error;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    cur = call(socket_path, json::object{{"cmd", "sync"}});
  }
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
    else if (a == "--visit" || a == "--days") {
      const std::string v = need(i);
      char* end = nullptr;
      const long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 1) die(usage_error, fmt::format("{} needs a whole number from 1, got \"{}\"", a, v));
      request[a == "--visit" ? "visit" : "days"] = n;
    }
    else if (a == "--out") out_path = need(i);
    else if (a == "--limit" || a == "--after-seq") {
      const std::string v = need(i);
      char* end = nullptr;
      const long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 0 || (a == "--limit" && (n < 1 || n > 100000))) die(usage_error, fmt::format("{} needs a whole number{}, got \"{}\"", a, a == "--limit" ? " from 1 to 100000" : "", v));
      request[a == "--limit" ? "limit" : "after_seq"] = n;
    } else if (!a.starts_with("-") && command.empty()) command = a;
    else if (!a.starts_with("-") && (command == "slip" || command == "card" || command == "printer" ||
                                      command == "sync" || command == "visit" || command == "poster") &&
             subcommand.empty()) subcommand = a;
    else if (!a.starts_with("-") && command == "slip" && subcommand == "reprint" && !request.contains("number"))
      request["number"] = a;
    else if (!a.starts_with("-") && command == "declare" && a.find('=') != std::string_view::npos) {
      const auto eq = a.find('=');
      declared_fields.push_back(json::array{std::string(a.substr(0, eq)), std::string(a.substr(eq + 1))});
    } else { usage(stderr); die(usage_error, fmt::format("unknown argument \"{}\"", a)); }
  }
  if (command == "slip" || command == "card" || command == "printer" || command == "visit" || command == "poster") {
    static const std::map<std::string, std::set<std::string>> subcommands = {
        {"slip", {"print", "reprint", "preview"}}, {"card", {"print"}}, {"printer", {"test"}},
        {"visit", {"checkout", "undo"}}, {"poster", {"print"}}};
    if (!subcommands.at(command).contains(subcommand))
      die(usage_error, fmt::format("\"{}\" needs one of: {}", command, fmt::join(subcommands.at(command), ", ")));
    command += "." + subcommand;
  }
  if (command == "sync" && !subcommand.empty()) {
    if (subcommand != "now") die(usage_error, fmt::format("\"sync\" takes nothing or \"now\", got \"{}\"", subcommand));
    request["now"] = true;
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
                                                 "printer.test", "jobs", "declare", "form", "sync",
                                                 "visit.checkout", "visit.undo", "poster.print", "summary"};
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
      {"sync", {"now"}},
      {"visit.checkout", {"counter", "visit"}},
      {"visit.undo", {"counter"}},
      {"poster.print", {"counter"}},
      {"summary", {"days"}},
  };
  for (const char* needs_counter : {"slip.print", "card.print", "printer.test", "visit.checkout", "visit.undo",
                                    "poster.print"})
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
  if (command == "sync" && request.contains("now") && !as_json && ::isatty(STDOUT_FILENO))
    return follow_sync(socket_path, result);
  if (as_json) {
    // A JSON writer leaves C1 and bidi controls raw: escaped, same JSON.
    std::cout << ravao::text::json_for_terminal(json::serialize(result)) << '\n';
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
                          {"payload_kind", "KIND"}, {"person_id", "ID NUMBER"}, {"flags", "FLAGS"},
                          {"action", "ACTION"}, {"actor", "ACTOR"}});
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
  else if (command == "slip.reprint" || command == "card.print" || command == "printer.test" ||
           command == "poster.print")
    std::printf("job %s queued on printer %s\n", field(result.as_object(), "id").c_str(),
                field(result.as_object(), "printer").c_str());
  else if (command == "visit.checkout" || command == "visit.undo") print_staff_command(result);
  else if (command == "summary") print_summary(result);
  else if (command == "sync") print_sync(result);
  else if (command == "form") {
    print_rows(result.as_object().at("fields"),
               {{"name", "NAME"}, {"type", "TYPE"}, {"required", "REQUIRED"}, {"label", "LABEL"}});
    const auto& consent = result.as_object().at("consent");
    std::printf("consent: %s\n",
                ravao::text::escape_for_log(consent.is_string() ? std::string_view(consent.as_string()) : "", 8192).c_str());
  } else if (command == "declare")
    std::printf("declaration recorded as record #%s%s\n", field(result.as_object(), "seq").c_str(),
                result.as_object().at("visit").as_int64() != 0
                    ? (" for visit " + field(result.as_object(), "visit")).c_str()
                    : "");
  return ok;
}
