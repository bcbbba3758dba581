#pragma once
// Structured logging. Every event has a stable name ("scan.accepted",
// "scanner.gone", ...) that operators grep and alert on, a human message, and
// key=value fields. Under systemd (stderr connected to the journal, detected
// through $JOURNAL_STREAM) events go to the journal with the fields as
// journal fields (RAVAO_EVENT=scan.accepted, RAVAO_COUNTER=c1, ...); otherwise
// one line per event on stderr:
//   info scan.accepted: visit opened counter=c1 seq=42
// Thread-safe; the committer thread never logs (it posts to the loop).

#include <initializer_list>
#include <string>
#include <string_view>

namespace ravao::log {

enum class level { debug = 7, info = 6, notice = 5, warning = 4, error = 3, critical = 2 };

struct field {
  std::string_view key;  // lower_snake_case
  std::string value;
};

enum class sink { automatic, stderr_text, journal };

// automatic: the journal when $JOURNAL_STREAM matches stderr, else stderr.
void init(sink s = sink::automatic, level min_level = level::info);

void event(level lv, std::string_view name, std::string_view message, std::initializer_list<field> fields = {});

inline void debug(std::string_view name, std::string_view message, std::initializer_list<field> fields = {}) {
  event(level::debug, name, message, fields);
}
inline void info(std::string_view name, std::string_view message, std::initializer_list<field> fields = {}) {
  event(level::info, name, message, fields);
}
inline void notice(std::string_view name, std::string_view message, std::initializer_list<field> fields = {}) {
  event(level::notice, name, message, fields);
}
inline void warning(std::string_view name, std::string_view message, std::initializer_list<field> fields = {}) {
  event(level::warning, name, message, fields);
}
inline void error(std::string_view name, std::string_view message, std::initializer_list<field> fields = {}) {
  event(level::error, name, message, fields);
}
inline void critical(std::string_view name, std::string_view message, std::initializer_list<field> fields = {}) {
  event(level::critical, name, message, fields);
}

}  // namespace ravao::log
