// The registry of log event names (common/log_events.hpp) against the code
// and the docs: docs/log-events.md is exactly what the registry generates;
// every event name the sources log is registered; every registered name is
// logged somewhere. A name is seen where the sources log it: the first
// argument of a log::debug/info/notice/warning/error/critical call (a string
// literal, the literals of a ?: there, or those assigned to the variable
// named there) and the first argument of a scanner sink's on_notice.

// g++ 12 at -O1 with ASan reports libstdc++'s own std::regex state copies as
// maybe-uninitialized (a false positive inside <regex>; see man_pages_test.cpp).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "common/log_events.hpp"

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> literals_in(const std::string& expr) {
  static const std::regex literal(R"re("([^"\\]*)")re");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), literal); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1]);
  return out;
}

// The first argument of the call whose '(' is at `open`, up to its top-level ','.
std::string first_argument(const std::string& s, std::size_t open) {
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = open + 1; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
      continue;
    }
    if (c == '"') quoted = true;
    else if (c == '(' || c == '{' || c == '[') ++depth;
    else if (c == ')' || c == '}' || c == ']') {
      if (depth == 0) return s.substr(open + 1, i - open - 1);
      --depth;
    } else if (c == ',' && depth == 0) {
      return s.substr(open + 1, i - open - 1);
    }
  }
  return {};
}

// name -> where it is used ("daemon/app.cpp")
std::map<std::string, std::string> names_used_in_sources() {
  static const std::regex log_call(R"(\blog::(debug|info|notice|warning|error|critical)\()");
  static const std::regex notice_call(R"re(\bon_notice\(\s*"([^"]+)")re");
  static const std::regex identifier(R"(^\s*([A-Za-z_]\w*)\s*$)");
  std::map<std::string, std::string> used;
  const fs::path root = RAVAO_SOURCE_DIR;
  for (const char* dir : {"common", "drivers", "daemon", "receiver", "ctl", "web"}) {
    for (const auto& entry : fs::recursive_directory_iterator(root / dir)) {
      const auto ext = entry.path().extension();
      if (ext != ".cpp" && ext != ".hpp") continue;
      const std::string s = slurp(entry.path());
      const std::string where = fs::relative(entry.path(), root).string();
      for (auto it = std::sregex_iterator(s.begin(), s.end(), log_call); it != std::sregex_iterator(); ++it) {
        const auto open = static_cast<std::size_t>(it->position() + it->length() - 1);
        const std::string arg = first_argument(s, open);
        std::vector<std::string> names = literals_in(arg);
        std::smatch id;
        if (names.empty() && std::regex_match(arg, id, identifier)) {
          // A variable: the literals assigned to it before the call in this file.
          const std::regex assigned("\\b" + id[1].str() + R"(\s*=\s*([^;]*);)");
          const std::string before = s.substr(0, open);
          for (auto a = std::sregex_iterator(before.begin(), before.end(), assigned); a != std::sregex_iterator(); ++a)
            for (auto& n : literals_in((*a)[1])) names.push_back(n);
        }
        for (auto& n : names) used.emplace(n, where);
      }
      for (auto it = std::sregex_iterator(s.begin(), s.end(), notice_call); it != std::sregex_iterator(); ++it)
        used.emplace((*it)[1], where);
    }
  }
  return used;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_committed_doc_is_the_generated_one) {
  const std::string committed = slurp(fs::path(RAVAO_SOURCE_DIR) / "docs" / "log-events.md");
  const std::string generated = ravao::log::describe_log_events();
  BOOST_TEST(committed == generated,
             "docs/log-events.md differs from the registry: run `ravaod --print-log-events > docs/log-events.md`");
}

BOOST_AUTO_TEST_CASE(registered_names_are_unique_and_well_formed) {
  static const std::regex shape(R"([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)");
  std::set<std::string_view> seen;
  for (const auto& e : ravao::log::registered_events()) {
    BOOST_TEST(std::regex_match(std::string(e.name), shape), e.name);
    BOOST_TEST(seen.insert(e.name).second, "registered twice: " << e.name);
    BOOST_TEST(!e.level.empty());
    BOOST_TEST(!e.when.empty());
  }
}

BOOST_AUTO_TEST_CASE(every_name_logged_is_registered_and_every_registered_name_is_logged) {
  const auto used = names_used_in_sources();
  BOOST_TEST_REQUIRE(used.size() > 50u);  // the scan itself works
  for (const auto& [name, where] : used) {
    BOOST_TEST(name.find('{') == std::string::npos,
               where << ": event name built with a format (\"" << name << "\"): spell each name out");
    BOOST_TEST(ravao::log::is_registered(name),
               where << ": event \"" << name << "\" is not in common/log_events.cpp (add one line there)");
  }
  for (const auto& e : ravao::log::registered_events()) {
    BOOST_TEST(used.contains(std::string(e.name)),
               "registered event \"" << e.name << "\" is logged nowhere: remove it from common/log_events.cpp");
  }
}
