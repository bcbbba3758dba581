#include "common/log.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include <fmt/format.h>

namespace ravao::log {
namespace {

struct state_t {
  std::mutex mutex;
  sink target = sink::stderr_text;
  level min = level::info;
};
state_t& state() {
  static state_t s;
  return s;
}

bool stderr_is_journal() {
  const char* js = std::getenv("JOURNAL_STREAM");
  if (!js) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

std::string_view level_name(level lv) {
  switch (lv) {
    case level::debug: return "debug";
    case level::info: return "info";
    case level::notice: return "notice";
    case level::warning: return "warning";
    case level::error: return "error";
    case level::critical: return "critical";
  }
  return "info";
}

// Values are quoted when they contain spaces, quotes or '='; control bytes
// never reach the log raw (callers escape untrusted text, this is the backstop).
void append_value(std::string& out, std::string_view v) {
  bool quote = v.empty();
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\') quote = true;
  }
  if (quote) out += '"';
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) out += fmt::format("\\x{:02x}", u);
    else if (c == '"' || c == '\\') { out += '\\'; out += c; }
    else out += c;
  }
  if (quote) out += '"';
}

std::string journal_key(std::string_view key) {
  std::string k = "RAVAO_";
  for (char c : key) {
    if (c >= 'a' && c <= 'z') k += static_cast<char>(c - 'a' + 'A');
    else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) k += c;
    else k += '_';
  }
  return k;
}

}  // namespace

void init(sink s, level min_level) {
  auto& st = state();
  std::lock_guard lock(st.mutex);
  st.target = s == sink::automatic ? (stderr_is_journal() ? sink::journal : sink::stderr_text) : s;
  st.min = min_level;
}

void event(level lv, std::string_view name, std::string_view message, std::initializer_list<field> fields) {
  auto& st = state();
  if (static_cast<int>(lv) > static_cast<int>(st.min)) return;
  if (st.target == sink::journal) {
    std::vector<std::string> parts;
    parts.reserve(fields.size() + 3);
    std::string text(message);
    for (const auto& f : fields) {
      text += ' ';
      text += f.key;
      text += '=';
      append_value(text, f.value);
    }
    parts.push_back(fmt::format("MESSAGE={}: {}", name, text));
    parts.push_back(fmt::format("PRIORITY={}", static_cast<int>(lv)));
    parts.push_back(fmt::format("RAVAO_EVENT={}", name));
    for (const auto& f : fields) parts.push_back(journal_key(f.key) + "=" + f.value);
    std::vector<iovec> iov(parts.size());
    for (std::size_t i = 0; i < parts.size(); ++i) iov[i] = {parts[i].data(), parts[i].size()};
    sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
    return;
  }
  std::string line;
  line.reserve(96);
  line += level_name(lv);
  line += ' ';
  line += name;
  line += ": ";
  line += message;
  for (const auto& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    append_value(line, f.value);
  }
  line += '\n';
  std::lock_guard lock(st.mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace ravao::log
