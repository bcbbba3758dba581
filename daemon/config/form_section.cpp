#include "config/form_section.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "common/text.hpp"

namespace ravao::config_form {
namespace {

int line_of(const toml::node& n) { return static_cast<int>(n.source().begin.line); }
int line_of(const toml::key& k) { return static_cast<int>(k.source().begin.line); }

constexpr std::array<std::string_view, 2> form_keys = {"consent", "field"};
constexpr std::array<std::string_view, 10> field_keys = {"name",    "label",       "type",    "required", "max",
                                                         "options", "within_days", "default", "heading",  "printed"};

// One [[form.field]] as read, with the line of each key for later messages.
struct read_field {
  int line = 0;
  std::map<std::string, int, std::less<>> key_lines;
};

class reader {
 public:
  explicit reader(std::vector<problem>& problems) : problems_(problems) {}

  void report(int line, std::string message) { problems_.push_back({line, std::move(message)}); }

  template <class T>
  std::optional<T> get(const toml::table& t, std::string_view key, std::string_view type, const std::string& who) {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    if (const auto* v = n->as<T>()) return v->get();
    report(line_of(*n), fmt::format("{}{} must be {}", who, key, type));
    return std::nullopt;
  }

  std::vector<slip::form_option> options(const toml::node& n, const std::string& who) {
    std::vector<slip::form_option> out;
    const auto bad = [&] {
      report(line_of(n), who + "options must be an array of [value, label, alias...] arrays of strings, "
                               "e.g. [[\"male\", \"Nam\", \"m\"], [\"female\", \"Nữ\", \"f\"]]");
      return std::vector<slip::form_option>{};
    };
    const auto* a = n.as_array();
    if (!a) return bad();
    for (const auto& e : *a) {
      const auto* inner = e.as_array();
      if (!inner || inner->size() < 2) return bad();
      slip::form_option o;
      for (std::size_t i = 0; i < inner->size(); ++i) {
        const auto* s = (*inner)[i].as_string();
        if (!s) return bad();
        (i == 0 ? o.value : i == 1 ? o.label : o.aliases.emplace_back()) = s->get();
      }
      out.push_back(std::move(o));
    }
    return out;
  }

  slip::form_field field(const toml::table& t, std::size_t index, read_field& lines) {
    slip::form_field f;
    const auto* written = t.get_as<std::string>("name");
    const std::string who = fmt::format("form field #{}{}: ", index + 1,
                                        written ? " \"" + text::escape_for_log(written->get(), 32) + "\"" : "");
    for (auto&& [k, node] : t) {
      lines.key_lines[std::string(k.str())] = line_of(k);
      if (std::ranges::find(field_keys, k.str()) == field_keys.end())
        report(line_of(k), fmt::format("{}unknown key \"{}\" (expected {})", who, text::escape_for_log(k.str(), 32),
                                       join(field_keys)));
    }
    f.name = get<std::string>(t, "name", "a string", who).value_or("");
    if (!t.contains("name")) report(lines.line, who + "name is required");
    f.label = get<std::string>(t, "label", "a string", who).value_or("");
    if (!t.contains("label")) report(lines.line, who + "label is required (the Vietnamese text staff and visitors read)");
    if (const auto type = get<std::string>(t, "type", "a string", who)) {
      if (const auto known = slip::field_type_named(*type)) {
        f.type = *known;
      } else {
        report(lines.key_lines["type"], fmt::format("{}type \"{}\" is unknown (expected {})", who,
                                                    text::escape_for_log(*type, 32), join(slip::field_type_names)));
      }
    } else if (!t.contains("type")) {
      report(lines.line, fmt::format("{}type is required (one of {})", who, join(slip::field_type_names)));
    }
    f.required = get<bool>(t, "required", "true or false", who).value_or(false);
    if (const auto max = get<std::int64_t>(t, "max", "a whole number", who)) {
      if (*max < 1) report(lines.key_lines["max"], fmt::format("{}max is {} (at least 1)", who, *max));
      else f.max = static_cast<std::size_t>(std::min<std::int64_t>(*max, 1 << 20));
    }
    if (const toml::node* o = t.get("options")) f.options = options(*o, who);
    if (const auto days = get<std::int64_t>(t, "within_days", "a whole number", who))
      f.within_days = static_cast<int>(std::clamp<std::int64_t>(*days, -1, slip::max_within_days + 1));
    f.default_value = get<std::string>(t, "default", "a string", who).value_or("");
    f.heading = get<std::string>(t, "heading", "a string", who).value_or("");
    f.printed = get<bool>(t, "printed", "true or false", who).value_or(true);
    return f;
  }

  template <class R>
  static std::string join(const R& names) {
    std::string out;
    for (std::string_view n : names) out += (out.empty() ? "" : ", ") + std::string(n);
    return out;
  }

 private:
  std::vector<problem>& problems_;
};

}  // namespace

void load_form(const toml::node* node, slip::form_definition& out, std::vector<problem>& problems) {
  out = slip::default_form();
  if (!node) return;
  reader r(problems);
  const auto* table = node->as_table();
  if (!table) {
    r.report(line_of(*node), "form must be a table [form] (with [[form.field]] entries)");
    return;
  }
  const std::size_t before = problems.size();
  const int form_line = line_of(*node);
  int consent_line = form_line;
  for (auto&& [k, n] : *table) {
    if (k.str() == "consent") consent_line = line_of(k);
    if (std::ranges::find(form_keys, k.str()) == form_keys.end())
      r.report(line_of(k), fmt::format("form: unknown key \"{}\" (expected consent, [[form.field]])",
                                       text::escape_for_log(k.str(), 32)));
  }
  if (const auto consent = r.get<std::string>(*table, "consent", "a string", "form: ")) out.consent = *consent;

  std::vector<read_field> lines;
  if (const toml::node* fields = table->get("field")) {
    const auto* array = fields->as_array();
    if (!array || !array->is_array_of_tables()) {
      r.report(line_of(*fields), "form: field must be an array of tables [[form.field]]");
      return;
    }
    out.fields.clear();
    for (const auto& e : *array) {
      read_field& rf = lines.emplace_back();
      rf.line = line_of(e);
      out.fields.push_back(r.field(*e.as_table(), out.fields.size(), rf));
    }
  }
  // Type errors above already said what is wrong; the rules of a definition
  // would repeat them in other words.
  if (problems.size() != before) return;
  for (const auto& p : slip::check_form(out)) {
    if (p.field >= out.fields.size()) {
      r.report(p.key == "consent" ? consent_line : form_line, fmt::format("form: {} {}", p.key, p.message));
      continue;
    }
    const auto& f = out.fields[p.field];
    int line = form_line;
    if (p.field < lines.size()) {
      const auto it = lines[p.field].key_lines.find(p.key);
      line = it != lines[p.field].key_lines.end() ? it->second : lines[p.field].line;
    }
    r.report(line, fmt::format("form field #{} \"{}\": {} {}", p.field + 1, text::escape_for_log(f.name, 32),
                               p.key, p.message));
  }
}

}  // namespace ravao::config_form
