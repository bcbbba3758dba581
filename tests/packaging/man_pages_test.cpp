// The Debian packages' man pages (packaging/man/) and ravaoctl's bash
// completion (packaging/bash-completion/ravaoctl) against the real programs:
// every configuration section and key `ravaod --print-config-keys` prints is
// in ravao.toml(5) with its type, kinds, allowed values and default; every
// option of `ravaod --help` is in ravaod(8); every command and option of
// `ravaoctl --help` is in ravaoctl(1) and offered by the completion; every
// ravao-receiver subcommand, with its options, is in ravao-receiver(1). Each
// page renders without a warning, as lintian's groff-message check runs it
// (`man --warnings -E UTF-8 -l -Tutf8 -Z`), so man-db and groff-base must be
// installed (scripts/install-deps.sh).

// g++ 12 at -O1 with ASan reports libstdc++'s own std::regex state copies as
// maybe-uninitialized (a false positive inside <regex>, instantiated at the end
// of this file, so the pragma covers the whole file).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "support/harness.hpp"

namespace fs = std::filesystem;
using ravao::test::run_result;
using namespace std::chrono_literals;

namespace {

const fs::path source_dir = RAVAO_SOURCE_DIR;
const fs::path man_dir = source_dir / "packaging/man";
const fs::path completion_file = source_dir / "packaging/bash-completion/ravaoctl";

// ---------------------------------------------------------------- processes

// A program on $PATH (or in /usr/bin, /bin), or nothing.
std::optional<fs::path> find_program(std::string_view name) {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/bin:/bin";
  std::istringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const fs::path p = fs::path(dir) / name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return std::nullopt;
}

// The absolute path of `name`; fails the test, saying which package to
// install, when it is missing.
fs::path require_program(std::string_view name, std::string_view package) {
  const auto p = find_program(name);
  BOOST_TEST_REQUIRE(p.has_value(), std::string(name) << " is not installed: the man page checks need the Debian "
                                                         "package "
                                                      << package << " (scripts/install-deps.sh installs it)");
  return *p;
}

// One of the programs under test, which must have been built.
std::string built(const char* path, std::string_view target) {
  BOOST_TEST_REQUIRE(::access(path, X_OK) == 0, path << " is missing: build the target " << target
                                                     << " first (cmake --build BUILD --target " << target << ")");
  return path;
}

run_result run_env(const std::vector<std::string>& argv, std::map<std::string, std::string> env = {}) {
  ravao::test::temp_dir d;
  run_result rr;
  ravao::test::process p(argv, d / "out", d / "err", std::move(env));
  const auto st = p.wait(60s);
  BOOST_TEST_REQUIRE(st.has_value(), "timed out: " << argv.front());
  rr.code = st->exited ? st->code : 128 + st->signal;
  rr.out = ravao::test::read_file(d / "out");
  rr.err = ravao::test::read_file(d / "err");
  return rr;
}

// stdout of a command that must succeed.
std::string output_of(const std::vector<std::string>& argv) {
  const auto r = run_env(argv);
  BOOST_TEST_REQUIRE(r.code == 0, argv.front() << " exited with " << r.code << ": " << r.err);
  return r.out;
}

// ------------------------------------------------------------------- text

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::string collapse_spaces(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The text a roff line shows, without fonts and with escapes resolved (the
// subset these pages use).
std::string unescape(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\\' || i + 1 == in.size()) {
      out += in[i];
      continue;
    }
    const char c = in[++i];
    if (c == 'f' && i + 1 < in.size()) ++i;  // \fB \fI \fR \fP
    else if (c == '-') out += '-';
    else if (c == 'e') out += '\\';
    else if (c == ' ') out += ' ';
    else if (c == '%' || c == '&') {
    } else if (c == '(' && i + 2 < in.size()) {
      const auto name = in.substr(i + 1, 2);
      i += 2;
      if (name == "lq" || name == "rq") out += '"';
      else if (name == "bu") out += '*';
      else out += "?";
    } else {
      out += '\\';
      out += c;
    }
  }
  return out;
}

std::string unbacktick(std::string s) {
  std::erase(s, '`');
  return s;
}

// All "--option" words in `text`.
std::vector<std::string> long_options(const std::string& text) {
  static const std::regex option(R"((^|[^a-z-])(--[a-z][a-z-]*))");
  std::vector<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), option), end; it != end; ++it) {
    const std::string o = (*it)[2];
    if (std::ranges::find(out, o) == out.end()) out.push_back(o);
  }
  return out;
}

bool has_word(const std::string& text, const std::string& word) {
  for (std::size_t pos = text.find(word); pos != std::string::npos; pos = text.find(word, pos + 1)) {
    const auto is_word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; };
    const bool before = pos == 0 || !is_word_char(text[pos - 1]);
    const bool after = pos + word.size() == text.size() || !is_word_char(text[pos + word.size()]);
    if (before && after) return true;
  }
  return false;
}

// ------------------------------------------------------------- man pages

// One ".TP" paragraph: its tag and its text, unescaped, under the
// ".SH"/".SS" headings it is in.
struct tagged {
  std::string section;     // "OPTIONS"
  std::string subsection;  // "[site]", "serve", or empty
  std::string tag;         // "--config FILE, -c FILE"
  std::string body;        // the paragraph, on one line
};

struct man_page {
  fs::path path;
  std::string text;
  std::vector<std::string> lines;
  std::vector<std::string> sections;  // the .SH headings
  std::vector<tagged> tags;
};

std::string heading(const std::string& line) {
  std::string h = unescape(line.substr(4));
  if (h.size() >= 2 && h.front() == '"' && h.back() == '"') h = h.substr(1, h.size() - 2);
  return h;
}

man_page read_page(const std::string& name) {
  man_page m;
  m.path = man_dir / name;
  m.text = ravao::test::read_file(m.path);
  BOOST_TEST_REQUIRE(!m.text.empty(), m.path << " is missing or empty");
  m.lines = lines_of(m.text);
  std::string section, subsection;
  for (std::size_t i = 0; i < m.lines.size(); ++i) {
    const std::string& l = m.lines[i];
    if (l.starts_with(".SH ")) {
      section = heading(l);
      subsection.clear();
      m.sections.push_back(section);
    } else if (l.starts_with(".SS ")) {
      subsection = heading(l);
    } else if (l == ".TP" && i + 1 < m.lines.size()) {
      tagged t{section, subsection, collapse_spaces(unescape(m.lines[i + 1])), ""};
      std::string body;
      for (std::size_t j = i + 2; j < m.lines.size(); ++j) {
        const std::string& b = m.lines[j];
        if (b == ".TP" || b.starts_with(".SS") || b.starts_with(".SH") || b == ".PP" || b == ".RS") break;
        if (b.starts_with(".")) continue;
        body += unescape(b) + ' ';
      }
      t.body = collapse_spaces(body);
      m.tags.push_back(std::move(t));
    }
  }
  return m;
}

bool has_section(const man_page& m, std::string_view name) {
  return std::ranges::any_of(m.sections, [&](const std::string& s) { return s == name; });
}

// The tags of one section (and subsection, when given).
std::vector<const tagged*> tags_in(const man_page& m, std::string_view section,
                                   std::optional<std::string_view> subsection = std::nullopt) {
  std::vector<const tagged*> out;
  for (const auto& t : m.tags)
    if (t.section == section && (!subsection || t.subsection == *subsection)) out.push_back(&t);
  return out;
}

// ------------------------------------------------------------ completion

// What the completion offers for the command line `words` (the last one is
// being completed), with or without the bash-completion package's helpers.
std::vector<std::string> complete(const std::vector<std::string>& words, run_result* raw = nullptr,
                                  bool with_bash_completion = false) {
  // The completion gives ravaoctl 2 s to answer; a loaded test machine
  // (sanitizers, parallel tests) gets more.
  static const std::string script = R"(
if [[ -n $RAVAO_BASH_COMPLETION ]]; then source "$RAVAO_BASH_COMPLETION" || exit 3; fi
source "$1" || exit 3
shift
spec=$(complete -p ravaoctl) || exit 4
fn=${spec#*-F }
fn=${fn%% *}
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
"$fn" ravaoctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
)";
  std::vector<std::string> argv{require_program("bash", "bash").string(), "--norc", "--noprofile", "-c", script,
                                "bash", completion_file.string()};
  argv.insert(argv.end(), words.begin(), words.end());
  std::map<std::string, std::string> env{{"LC_ALL", "C.UTF-8"}, {"RAVAOCTL_COMPLETION_TIMEOUT", "20"}};
  if (with_bash_completion) env["RAVAO_BASH_COMPLETION"] = "/usr/share/bash-completion/bash_completion";
  const auto r = run_env(argv, env);
  if (raw) *raw = r;
  BOOST_TEST(r.code == 0, "completion of \"" << words.back() << "\" failed: " << r.err);
  std::vector<std::string> out;
  for (auto& l : lines_of(r.out))
    if (!l.empty()) out.push_back(l);
  return out;
}

bool offers(const std::vector<std::string>& offered, const std::string& word) {
  return std::ranges::find(offered, word) != offered.end();
}

// --------------------------------------------------- the programs' usage

// `ravaod --print-config-keys`: each section's keys as table rows.
struct config_key {
  std::string name, type, default_value, allowed, applies_to;
};
struct config_section {
  std::string name;  // "[site]", "[[scanner]]"
  std::vector<config_key> keys;
};

// "| `a` | b \\| c |" is {"`a`", "b | c"}.
std::vector<std::string> table_cells(const std::string& row) {
  std::vector<std::string> cells;
  std::string cell;
  for (std::size_t i = 1; i < row.size(); ++i) {
    if (row[i] == '\\' && i + 1 < row.size() && row[i + 1] == '|') {
      cell += row[++i];
    } else if (row[i] == '|') {
      const auto first = cell.find_first_not_of(' ');
      cells.push_back(collapse_spaces(first == std::string::npos ? std::string() : cell.substr(first)));
      cell.clear();
    } else {
      cell += row[i];
    }
  }
  return cells;
}

std::vector<config_section> config_reference() {
  const std::string md = output_of({built(RAVAOD_PATH, "ravaod"), "--print-config-keys"});
  std::vector<config_section> out;
  bool kinds = false;
  for (const auto& l : lines_of(md)) {
    if (l.starts_with("### `")) {
      out.push_back({unbacktick(l.substr(4)), {}});
    } else if (l.starts_with("| Key |")) {
      kinds = l.find("Applies to") != std::string::npos;
    } else if (l.starts_with("| `") && !out.empty()) {
      const auto c = table_cells(l);
      BOOST_TEST_REQUIRE(c.size() >= (kinds ? 6u : 5u), "unexpected row: " << l);
      out.back().keys.push_back({unbacktick(c[0]), c[1], c[2], c[3], kinds ? c[4] : "all"});
    }
  }
  return out;
}

// `ravaoctl --help`: "slip print --counter C" is {"slip print", "slip print
// --counter C"}; "sync [now]" is {"sync [now]", ...}.
struct ctl_command {
  std::string words;   // the command and its subcommand as the usage shows them
  std::string column;  // the whole synopsis
  std::vector<std::string> path() const {  // for the completion: "sync", "now"
    std::vector<std::string> out;
    std::istringstream in(words);
    std::string w;
    while (in >> w) {
      std::erase(w, '[');
      std::erase(w, ']');
      out.push_back(w);
    }
    return out;
  }
};

std::vector<ctl_command> ctl_commands(const std::string& help) {
  static const std::regex subcommand(R"(\[?[a-z]+\]?)");
  std::vector<ctl_command> out;
  for (const auto& l : lines_of(help)) {
    if (l.size() < 3 || !l.starts_with("  ") || !std::islower(static_cast<unsigned char>(l[2]))) continue;
    const auto gap = l.find("  ", 2);
    const std::string column = l.substr(2, gap == std::string::npos ? std::string::npos : gap - 2);
    std::istringstream in(column);
    std::string first, second;
    in >> first >> second;
    ctl_command c{first, column};
    if (std::regex_match(second, subcommand)) c.words += " " + second;
    out.push_back(std::move(c));
  }
  return out;
}

// `ravao-receiver --help`: the names under "commands:".
std::vector<std::string> receiver_commands(const std::string& help) {
  std::vector<std::string> out;
  bool in_list = false;
  for (const auto& l : lines_of(help)) {
    if (l == "commands:") {
      in_list = true;
    } else if (in_list && l.starts_with("  ")) {
      std::istringstream in(l);
      std::string name;
      in >> name;
      out.push_back(name);
    } else if (in_list) {
      break;
    }
  }
  return out;
}

// The options a subcommand's --help declares: those of its usage lines and
// of its option list (not those its prose mentions, such as "serve --cert").
std::vector<std::string> receiver_options(const std::string& help) {
  std::string declared;
  bool usage = true;
  for (const auto& l : lines_of(help)) {
    if (l.empty()) usage = false;
    const auto first = l.find_first_not_of(' ');
    if (usage || (first != std::string::npos && first > 0 && l.compare(first, 2, "--") == 0)) {
      const auto gap = l.find("  ", first == std::string::npos ? 0 : first);
      declared += (usage ? l : l.substr(0, gap)) + "\n";
    }
  }
  return long_options(declared);
}

const std::vector<std::string> pages = {"ravaod.8", "ravaoctl.1", "ravao.toml.5", "ravao-receiver.1", "ravao-web.8"};

}  // namespace

BOOST_AUTO_TEST_SUITE(man_pages)

BOOST_AUTO_TEST_CASE(the_helpers_read_roff_and_usage_texts) {
  BOOST_TEST(unescape(R"(\fB\%\-\-config\fR \fIFILE\fR, \(lqx\(rq \e)") == R"(--config FILE, "x" \)");
  BOOST_TEST(long_options("a --log-level X [--open] -c --") == (std::vector<std::string>{"--log-level", "--open"}));
  BOOST_TEST(has_word("visits --open", "--open"));
  BOOST_TEST(!has_word("visits --opened", "--open"));
  const auto cmds = ctl_commands("usage: x\ncommands:\n  sync [now]                     upload\n"
                                 "  ping                           prints pong\n"
                                 "  slip preview --out FILE.png [--counter C]\n"
                                 "                                 draws\n");
  BOOST_TEST_REQUIRE(cmds.size() == 3u);
  BOOST_TEST(cmds[0].words == "sync [now]");
  BOOST_TEST(cmds[1].words == "ping");
  BOOST_TEST(cmds[2].words == "slip preview");
  BOOST_TEST(cmds[2].path() == (std::vector<std::string>{"slip", "preview"}));
  BOOST_TEST(receiver_options("usage: r k --out FILE\n       [--x N]\n\nsee serve --cert\n  --y N   what --z\n") ==
             (std::vector<std::string>{"--out", "--x", "--y"}));
}

BOOST_AUTO_TEST_CASE(every_page_renders_without_warnings) {
  const fs::path man = require_program("man", "man-db");
  require_program("groff", "groff-base");
  for (const auto& name : pages) {
    BOOST_TEST_CONTEXT(name) {
      // As lintian's groff-message check runs it.
      const auto r = run_env({man.string(), "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", (man_dir / name).string()},
                             {{"LC_ALL", "C.UTF-8"}, {"MANROFFSEQ", ""}, {"MANWIDTH", "80"}});
      BOOST_TEST(r.code == 0);
      BOOST_TEST(r.err == "");
      BOOST_TEST(!r.out.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(every_page_is_clean_roff) {
  // .TH NAME SECTION, the usual sections, no trailing blanks, and option
  // dashes escaped (\-), so that they render as ASCII hyphen-minus and can
  // be searched for and copied.
  static const std::regex bare_option(R"((^|[\s\[(|,])-{1,2}[A-Za-z])");
  for (const auto& name : pages) {
    BOOST_TEST_CONTEXT(name) {
      const auto m = read_page(name);
      BOOST_TEST(m.text.ends_with("\n"));
      const std::string stem = name.substr(0, name.rfind('.'));
      std::string upper;
      for (char c : stem) upper += c == '-' ? std::string("\\-") : std::string(1, static_cast<char>(std::toupper(c)));
      const std::string th = ".TH " + upper + " " + name.substr(name.rfind('.') + 1) + " ";
      BOOST_TEST(std::ranges::any_of(m.lines, [&](const auto& l) { return l.starts_with(th); }), "no " << th);
      for (const char* s : {"NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO"})
        BOOST_TEST(has_section(m, s), "no section " << s);
      int number = 0;
      for (const auto& l : m.lines) {
        ++number;
        BOOST_TEST_CONTEXT("line " << number << ": " << l) {
          BOOST_TEST(!l.ends_with(" "));
          BOOST_TEST(!l.ends_with("\t"));
          if (l.starts_with(".\\\"")) continue;
          BOOST_TEST(!std::regex_search(l, bare_option));
          BOOST_TEST(l.find("--") == std::string::npos);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(ravao_toml_5_has_every_section_and_key) {
  const auto reference = config_reference();
  BOOST_TEST_REQUIRE(reference.size() >= 9u);
  const auto m = read_page("ravao.toml.5");
  std::set<std::string> man_sections;
  for (const auto& l : m.lines)
    if (l.starts_with(".SS ") && heading(l).starts_with("[")) man_sections.insert(heading(l));
  std::set<std::string> printed_sections;
  for (const auto& sec : reference) {
    printed_sections.insert(sec.name);
    BOOST_TEST_CONTEXT(sec.name) {
      BOOST_TEST(man_sections.contains(sec.name), "no .SS " << sec.name);
      const auto tags = tags_in(m, "SECTIONS AND KEYS", sec.name);
      std::set<std::string> printed_keys;
      for (const auto& k : sec.keys) {
        printed_keys.insert(k.name);
        BOOST_TEST_CONTEXT(k.name) {
          const auto it = std::ranges::find_if(tags, [&](const tagged* t) { return t->tag.starts_with(k.name + " ("); });
          BOOST_TEST_REQUIRE((it != tags.end()), "key " << k.name << " is not described under " << sec.name);
          const tagged& t = **it;
          BOOST_TEST(t.tag.starts_with(k.name + " (" + k.type), t.tag);
          if (k.applies_to != "all") {
            std::istringstream kinds(unbacktick(k.applies_to));
            std::string kind;
            while (std::getline(kinds, kind, ',')) {
              kind = collapse_spaces(kind.substr(kind.find_first_not_of(' ')));
              BOOST_TEST(has_word(t.tag, kind), t.tag << " does not name kind " << kind);
            }
          } else {
            BOOST_TEST(t.tag == k.name + " (" + k.type + ")", "applies to all kinds, but " << t.tag);
          }
          BOOST_TEST(t.body.find("Allowed: " + unbacktick(k.allowed) + ".") != std::string::npos,
                     "no \"Allowed: " << unbacktick(k.allowed) << ".\" in: " << t.body);
          const std::string presence = k.default_value == "required" ? "Required."
                                       : k.default_value == "none"   ? "Optional; no default."
                                                                     : "Default: " + unbacktick(k.default_value) + ".";
          BOOST_TEST(t.body.find(presence) != std::string::npos, "no \"" << presence << "\" in: " << t.body);
        }
      }
      // Nothing the daemon would refuse as an unknown key.
      for (const tagged* t : tags) {
        const std::string key = t->tag.substr(0, t->tag.find(' '));
        BOOST_TEST(printed_keys.contains(key), sec.name << " " << key << " is not a key ravaod knows");
      }
    }
  }
  for (const auto& s : man_sections) BOOST_TEST(printed_sections.contains(s), s << " is not a section ravaod knows");
}

BOOST_AUTO_TEST_CASE(ravaod_8_has_every_option) {
  const std::string help = output_of({built(RAVAOD_PATH, "ravaod"), "--help"});
  const auto m = read_page("ravaod.8");
  const auto tags = tags_in(m, "OPTIONS");
  const auto options = long_options(help);
  BOOST_TEST_REQUIRE(options.size() >= 7u);
  for (const auto& o : options) {
    BOOST_TEST_CONTEXT(o) {
      const auto it = std::ranges::find_if(tags, [&](const tagged* t) { return has_word(t->tag, o); });
      BOOST_TEST_REQUIRE((it != tags.end()), o << " is not in OPTIONS of ravaod.8");
      // The values the usage lists ("--log-level debug|info|...") are described.
      static const std::regex values_re(R"(^ *([a-z]+(\|[a-z]+)+))");
      std::smatch values;
      const auto after = help.substr(help.find(o) + o.size());
      if (std::regex_search(after, values, values_re)) {
        std::istringstream in(values[1].str());
        std::string v;
        while (std::getline(in, v, '|')) BOOST_TEST(has_word((*it)->body, v), o << ": value " << v << " not described");
      }
    }
  }
  for (const char* s : {"OPTIONS", "SIGNALS", "ENVIRONMENT", "EXIT STATUS", "FILES", "EXAMPLES"})
    BOOST_TEST(has_section(m, s), "no section " << s);
  for (const char* word : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "JOURNAL_STREAM", "SIGHUP", "SIGTERM", "SIGINT",
                           "ravao.service", "/etc/ravao/ravao.toml", "/var/lib/ravao/ravao.db",
                           "/run/ravao/ravaod.sock", "/usr/lib/udev/rules.d/70-ravao.rules"})
    BOOST_TEST(unescape(m.text).find(word) != std::string::npos, "ravaod.8 does not mention " << word);
}

BOOST_AUTO_TEST_CASE(ravaoctl_1_and_the_completion_have_every_command_and_option) {
  const std::string help = output_of({built(RAVAOCTL_PATH, "ravaoctl"), "--help"});
  const auto commands = ctl_commands(help);
  BOOST_TEST_REQUIRE(commands.size() >= 14u);
  const auto m = read_page("ravaoctl.1");
  const auto command_tags = tags_in(m, "COMMANDS");
  const auto option_tags = tags_in(m, "OPTIONS");
  const std::string completion = ravao::test::read_file(completion_file);
  BOOST_TEST_REQUIRE(!completion.empty());
  const std::string usage_line = lines_of(help).front();
  const auto global = long_options(usage_line);

  // Each command: a COMMANDS entry whose synopsis starts with its words and
  // names its options; the completion offers it, its subcommand and options.
  std::set<std::string> first_words;
  std::map<std::string, std::set<std::string>> subcommands;
  for (const auto& c : commands) {
    BOOST_TEST_CONTEXT(c.column) {
      const auto it = std::ranges::find_if(command_tags, [&](const tagged* t) {
        return t->tag == c.words || t->tag.starts_with(c.words + " ");
      });
      BOOST_TEST_REQUIRE((it != command_tags.end()), "\"" << c.words << "\" is not in COMMANDS of ravaoctl.1");
      for (const auto& o : long_options(c.column)) BOOST_TEST(has_word((*it)->tag, o), (*it)->tag << " lacks " << o);
      const auto path = c.path();
      first_words.insert(path[0]);
      if (path.size() > 1) subcommands[path[0]].insert(path[1]);
      BOOST_TEST(has_word(completion, path.back()), path.back() << " is not in the completion");
      // ravaoctl CMD [SUB] --<TAB>: the command's options and the global ones.
      std::vector<std::string> words{"ravaoctl"};
      words.insert(words.end(), path.begin(), path.end());
      words.push_back("--");
      const auto offered = complete(words);
      for (const auto& o : long_options(c.column)) BOOST_TEST(offers(offered, o), o << " not offered");
      for (const auto& o : global) BOOST_TEST(offers(offered, o), o << " not offered");
    }
  }
  // ravaoctl <TAB> and ravaoctl CMD <TAB>.
  const auto offered = complete({"ravaoctl", ""});
  BOOST_TEST(std::set<std::string>(offered.begin(), offered.end()) == first_words);
  for (const auto& [first, subs] : subcommands) {
    const auto sub_offered = complete({"ravaoctl", first, ""});
    BOOST_TEST(std::set<std::string>(sub_offered.begin(), sub_offered.end()) == subs, first);
  }
  // Every option the usage names: in OPTIONS, and in the completion.
  for (const auto& o : long_options(help)) {
    BOOST_TEST_CONTEXT(o) {
      BOOST_TEST(std::ranges::any_of(option_tags, [&](const tagged* t) { return has_word(t->tag, o); }),
                 o << " is not in OPTIONS of ravaoctl.1");
      BOOST_TEST(has_word(completion, o), o << " is not in the completion");
    }
  }
  for (const char* s : {"COMMANDS", "OPTIONS", "EXIT STATUS", "FILES", "EXAMPLES"})
    BOOST_TEST(has_section(m, s), "no section " << s);
}

BOOST_AUTO_TEST_CASE(the_completion_script_is_valid_bash_and_completes_values) {
  const auto r = run_env({require_program("bash", "bash").string(), "-n", completion_file.string()});
  BOOST_TEST(r.code == 0);
  BOOST_TEST(r.err == "");
  // Files for --config, the declaration's field names, --since's forms.
  ravao::test::temp_dir d;
  ravao::test::write_file(d / "ravao.toml", "");
  const auto files = complete({"ravaoctl", "--config", (d / "rav").string()});
  BOOST_TEST(offers(files, (d / "ravao.toml").string()));
  const auto fields = complete({"ravaoctl", "declare", "--counter", "quay-1", "ph"});
  BOOST_TEST(fields == std::vector<std::string>{"phone="});
  const auto since = complete({"ravaoctl", "visits", "--since", "to"});
  BOOST_TEST(since == std::vector<std::string>{"today"});
  // With the bash-completion package's helpers too, where it is installed.
  if (fs::exists("/usr/share/bash-completion/bash_completion")) {
    const auto offered = complete({"ravaoctl", "sl"}, nullptr, true);
    BOOST_TEST(offered == std::vector<std::string>{"slip"});
    const auto with_helpers = complete({"ravaoctl", "--config", (d / "rav").string()}, nullptr, true);
    BOOST_TEST(offers(with_helpers, (d / "ravao.toml").string()));
  }
}

BOOST_AUTO_TEST_CASE(the_completion_asks_the_running_daemon_for_ids) {
  const std::string ctl = built(RAVAOCTL_PATH, "ravaoctl");
  built(RAVAOD_PATH, "ravaod");
  // No daemon: nothing offered, nothing printed, at once.
  run_result raw;
  const auto t0 = std::chrono::steady_clock::now();
  const auto none = complete({ctl, "--socket", "/nonexistent/ravaod.sock", "visits", "--counter", ""}, &raw);
  BOOST_TEST(none.empty());
  BOOST_TEST(raw.err == "");
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < 5s));

  ravao::test::daemon_under_test daemon(R"(
[site]
id = "man-test"
name = "Bưu điện thử nghiệm"
[store]
path = "{dir}/ravao.db"
[control]
socket = "{dir}/ravaod.sock"
[[scanner]]
id = "s1"
kind = "serial"
device = "{dir}/tty-1"
[[scanner]]
id = "s2"
kind = "serial"
device = "{dir}/tty-2"
[[counter]]
id = "quay-1"
name = "Quầy 1"
scanner = "s1"
printer = "slips"
[[counter]]
id = "quay-2"
name = "Quầy 2"
scanner = "s2"
[[printer]]
id = "slips"
kind = "file"
path = "{dir}/slips"
)");
  daemon.start();
  const std::string socket = daemon.socket_path().string();
  const auto counters = complete({ctl, "--socket", socket, "visits", "--counter", ""});
  BOOST_TEST(counters == (std::vector<std::string>{"quay-1", "quay-2"}));
  const auto one = complete({ctl, "slip", "print", "--socket", socket, "--counter", "quay-2"});
  BOOST_TEST(one == std::vector<std::string>{"quay-2"});
  const auto printers = complete({ctl, "--socket", socket, "jobs", "--printer", ""});
  BOOST_TEST(printers == std::vector<std::string>{"slips"});
  daemon.stop();
}

BOOST_AUTO_TEST_CASE(ravao_receiver_1_has_every_subcommand_and_option) {
  const std::string receiver = built(RAVAO_RECEIVER_PATH, "ravao-receiver");
  const auto commands = receiver_commands(output_of({receiver, "--help"}));
  BOOST_TEST_REQUIRE(commands.size() >= 5u);
  const auto m = read_page("ravao-receiver.1");
  std::set<std::string> subsections;
  for (const auto& l : m.lines)
    if (l.starts_with(".SS ")) subsections.insert(heading(l));
  for (const auto& c : commands) {
    BOOST_TEST_CONTEXT(c) {
      BOOST_TEST(subsections.contains(c), "no .SS " << c << " in ravao-receiver.1");
      BOOST_TEST(std::ranges::any_of(m.lines, [&](const auto& l) {
        return l.starts_with("\\fB\\%ravao\\-receiver " + c + "\\fR");
      }), "no synopsis line for " << c);
      const auto tags = tags_in(m, "COMMANDS", c);
      const auto options = receiver_options(output_of({receiver, c, "--help"}));
      BOOST_TEST(!options.empty());
      for (const auto& o : options)
        BOOST_TEST(std::ranges::any_of(tags, [&](const tagged* t) { return has_word(t->tag, o); }),
                   o << " is not described under " << c);
    }
  }
  for (const char* s : {"COMMANDS", "EXIT STATUS", "EXAMPLES"})
    BOOST_TEST(has_section(m, s), "no section " << s);
}

#ifdef RAVAO_WEB_PATH
BOOST_AUTO_TEST_CASE(ravao_web_8_has_every_option_and_user_command) {
  const std::string help = output_of({built(RAVAO_WEB_PATH, "ravao-web"), "--help"});
  const auto m = read_page("ravao-web.8");
  const auto option_tags = tags_in(m, "OPTIONS");
  const auto command_tags = tags_in(m, "COMMANDS");
  // "user add", "user passwd", ...: each a COMMANDS entry starting with its
  // words and naming the options its usage line gives.
  static const std::regex user_line(R"((user [a-z]+)([^\n]*))");
  std::set<std::string> commands;
  for (std::sregex_iterator it(help.begin(), help.end(), user_line), end; it != end; ++it) {
    const std::string words = (*it)[1];
    if (words == "user COMMAND") continue;
    commands.insert(words);
    BOOST_TEST_CONTEXT(words) {
      const auto tag = std::ranges::find_if(command_tags, [&](const tagged* t) { return t->tag.starts_with(words); });
      BOOST_TEST_REQUIRE((tag != command_tags.end()), "\"" << words << "\" is not in COMMANDS of ravao-web.8");
      for (const auto& o : long_options((*it)[2]))
        if (o != "--config") BOOST_TEST(has_word((*tag)->tag, o), (*tag)->tag << " lacks " << o);
    }
  }
  BOOST_TEST(commands.size() >= 5u);
  // Every option the usage names is described somewhere in OPTIONS or COMMANDS.
  for (const auto& o : long_options(help)) {
    BOOST_TEST_CONTEXT(o) {
      const bool described = std::ranges::any_of(option_tags, [&](const tagged* t) { return has_word(t->tag, o); }) ||
                             std::ranges::any_of(command_tags, [&](const tagged* t) { return has_word(t->tag, o); });
      BOOST_TEST(described, o << " is not in OPTIONS or COMMANDS of ravao-web.8");
    }
  }
  for (const char* s : {"OPTIONS", "COMMANDS", "CONFIGURATION", "SIGNALS", "EXIT STATUS", "FILES", "EXAMPLES"})
    BOOST_TEST(has_section(m, s), "no section " << s);
  for (const char* word : {"ravao-web.service", "/etc/ravao/web.toml", "/var/lib/ravao-web/users.json",
                           "/run/ravao/ravaod.sock", "ravao-ctl", "CAP_NET_BIND_SERVICE", "NOTIFY_SOCKET"})
    BOOST_TEST(unescape(m.text).find(word) != std::string::npos, "ravao-web.8 does not mention " << word);
}

// The shipped /etc/ravao/web.toml (config/web.toml) and the demo's are
// valid, and every key they set or show commented out is in the page's
// CONFIGURATION.
BOOST_AUTO_TEST_CASE(the_shipped_web_toml_is_valid_and_ravao_web_8_has_its_keys) {
  const std::string web = built(RAVAO_WEB_PATH, "ravao-web");
  const fs::path shipped = source_dir / "config/web.toml";
  const auto checked = run_env({web, "--check-config", shipped.string()});
  BOOST_TEST(checked.code == 0, checked.err);
  // The demo's, as scripts/demo.sh writes it (absolute paths).
  ravao::test::temp_dir d;
  std::string demo = ravao::test::read_file(source_dir / "config/demo-web.toml");
  BOOST_TEST_REQUIRE(demo.find("@DEMO@") != std::string::npos);
  for (auto at = demo.find("@DEMO@"); at != std::string::npos; at = demo.find("@DEMO@"))
    demo.replace(at, 6, (d / "demo").string());
  ravao::test::write_file(d / "web.toml", demo);
  const auto demo_checked = run_env({web, "--check-config", (d / "web.toml").string()});
  BOOST_TEST(demo_checked.code == 0, demo_checked.err);

  const auto m = read_page("ravao-web.8");
  const auto key_tags = tags_in(m, "CONFIGURATION");
  static const std::regex key_line(R"(^#?([a-z_]+) = )");
  std::set<std::string> keys;
  for (const auto& l : lines_of(ravao::test::read_file(shipped))) {
    std::smatch k;
    if (std::regex_search(l, k, key_line)) keys.insert(k[1]);
  }
  BOOST_TEST(keys.size() >= 10u);
  for (const auto& k : keys)
    BOOST_TEST(std::ranges::any_of(key_tags, [&](const tagged* t) { return has_word(t->tag, k); }),
               k << " is not in CONFIGURATION of ravao-web.8");
}
#endif

BOOST_AUTO_TEST_SUITE_END()
