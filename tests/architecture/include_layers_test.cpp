// The house's rules, checked on the source tree (docs/architecture.md, "The
// house"): which folder may include which, and no cycle between folders.
// A node is a top-level folder (common, drivers, ctl, receiver, web) or a
// sub-folder of daemon/ (daemon/store, daemon/sync, ...; daemon's own files
// are the node "daemon").

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path source_root{RAVAO_SOURCE_DIR};

using graph = std::map<std::string, std::map<std::string, std::string>>;  // from -> to -> an example "file: include"

// The node a source file belongs to.
std::string node_of(const fs::path& rel) {
  auto it = rel.begin();
  const std::string top = it->string();
  if (top != "daemon") return top;
  ++it;
  const fs::path rest = fs::path(*it);
  if (std::next(it) == rel.end()) return "daemon";  // daemon/app.cpp, daemon/main.cpp
  return "daemon/" + rest.string();
}

// The node an include names, or "" for one outside the tree (a library).
std::string node_of_include(const std::string& inc, const std::string& from) {
  const auto slash = inc.find('/');
  if (slash == std::string::npos) return from;  // "app.hpp": the same folder
  const std::string first = inc.substr(0, slash);
  for (const char* top : {"common", "drivers", "ctl", "receiver", "web", "tests", "bench"})
    if (first == top) return first;
  if (fs::is_directory(source_root / "daemon" / first)) return "daemon/" + first;
  return {};
}

// "store/store.hpp" from `#include "store/store.hpp"`; empty for any other
// line (std::regex is avoided: g++ 12 warns inside it at -O1).
std::string quoted_include(std::string_view line) {
  const auto skip_blanks = [&line] { while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1); };
  skip_blanks();
  if (!line.starts_with('#')) return {};
  line.remove_prefix(1);
  skip_blanks();
  if (!line.starts_with("include")) return {};
  line.remove_prefix(7);
  skip_blanks();
  if (!line.starts_with('"')) return {};
  line.remove_prefix(1);
  const auto end = line.find('"');
  return end == std::string_view::npos ? std::string{} : std::string(line.substr(0, end));
}

graph include_graph() {
  graph g;
  for (const char* top : {"common", "drivers", "daemon", "ctl", "receiver", "web"}) {
    if (!fs::exists(source_root / top)) continue;
    for (const auto& e : fs::recursive_directory_iterator(source_root / top)) {
      const auto ext = e.path().extension();
      if (!e.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
      const fs::path rel = fs::relative(e.path(), source_root);
      const std::string from = node_of(rel);
      std::ifstream in(e.path());
      std::string line;
      while (std::getline(in, line)) {
        const std::string inc = quoted_include(line);
        if (inc.empty()) continue;
        const std::string to = node_of_include(inc, from);
        if (!to.empty() && to != from) g[from].try_emplace(to, rel.string() + ": " + inc);
      }
    }
  }
  return g;
}

std::string top_of(const std::string& node) { return node.substr(0, node.find('/')); }

}  // namespace

BOOST_AUTO_TEST_CASE(each_folder_includes_only_the_layers_below_it) {
  // What each program's folder may include besides itself. daemon/ may use
  // common/ and drivers/ but no other program's folder.
  const std::map<std::string, std::set<std::string>> allowed{
      {"common", {}},
      {"drivers", {"common"}},
      {"receiver", {"common"}},
      {"ctl", {"common", "daemon/config", "daemon/slip"}},
      {"web", {"common"}},
  };
  const graph g = include_graph();
  BOOST_TEST_REQUIRE(g.size() > 3u);  // the tree was found and read
  for (const auto& [from, targets] : g) {
    for (const auto& [to, example] : targets) {
      if (top_of(from) == "daemon") {
        const std::string t = top_of(to);
        BOOST_TEST((t == "daemon" || t == "common" || t == "drivers"), from << " includes " << to << " (" << example << ")");
        continue;
      }
      const auto rule = allowed.find(from);
      BOOST_TEST_REQUIRE((rule != allowed.end()), "no layering rule for folder " << from);
      BOOST_TEST(rule->second.contains(to), from << " must not include " << to << " (" << example << ")");
    }
  }
}

BOOST_AUTO_TEST_CASE(no_two_folders_include_each_other_even_through_others) {
  const graph g = include_graph();
  // Depth-first search; a back edge is a cycle, reported with its path.
  std::map<std::string, int> colour;  // 0 new, 1 on the path, 2 done
  std::vector<std::string> path;
  std::string cycle;
  std::function<void(const std::string&)> visit = [&](const std::string& n) {
    colour[n] = 1;
    path.push_back(n);
    if (auto it = g.find(n); it != g.end()) {
      for (const auto& [to, example] : it->second) {
        if (!cycle.empty()) break;
        if (colour[to] == 1) {
          for (auto p = std::find(path.begin(), path.end(), to); p != path.end(); ++p) cycle += *p + " -> ";
          cycle += to + " (" + example + ")";
        } else if (colour[to] == 0) {
          visit(to);
        }
      }
    }
    path.pop_back();
    colour[n] = 2;
  };
  for (const auto& [n, targets] : g)
    if (colour[n] == 0 && cycle.empty()) visit(n);
  BOOST_TEST(cycle.empty(), "folder cycle: " << cycle);
}
