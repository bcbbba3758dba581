#include "receiver/site_table.hpp"

#include <array>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "common/text.hpp"

namespace ravao::receiver {

namespace {

constexpr std::size_t max_errors = 20;
constexpr std::size_t max_text = 256;
constexpr std::array<std::string_view, 6> columns = {"site_id", "name", "commune", "province", "population",
                                                     "gateways"};

// One line's cells; nullopt with `why` set when its quoting is broken.
std::optional<std::vector<std::string>> split_line(std::string_view line, std::string& why) {
  std::vector<std::string> cells(1);
  std::size_t i = 0;
  bool at_start = true;
  while (i < line.size()) {
    const char c = line[i];
    if (at_start && c == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) {
          why = "a quoted cell is not closed on its line (a cell may not span lines)";
          return std::nullopt;
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            cells.back() += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        cells.back() += line[i++];
      }
      if (i < line.size() && line[i] != ',') {
        why = "text after a quoted cell's closing quote";
        return std::nullopt;
      }
      at_start = false;
      continue;
    }
    if (c == ',') {
      cells.emplace_back();
      at_start = true;
    } else {
      cells.back() += c;
      at_start = false;
    }
    ++i;
  }
  return cells;
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (const unsigned char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
          c == '-')) {
      return false;
    }
  }
  return true;
}

// Why a name, commune or province cell is unfit; "" when fit.
std::string text_problem(std::string_view column, std::string_view value) {
  if (value.empty()) return fmt::format("{} is empty", column);
  if (value.size() > max_text) return fmt::format("{} is longer than {} bytes", column, max_text);
  if (const auto at = text::first_invalid_utf8(value)) {
    return fmt::format("{} is not UTF-8 at byte {} (save the file as UTF-8)", column, *at);
  }
  if (const auto at = text::first_control(value)) return fmt::format("{} holds a control character at byte {}", column, *at);
  return {};
}

}  // namespace

result<std::vector<site>> parse_site_table(std::string_view csv, std::string_view file_name) {
  if (csv.starts_with("\xEF\xBB\xBF")) csv.remove_prefix(3);
  std::vector<std::string> errors;
  const auto error_at = [&](std::int64_t line, std::string what) {
    if (errors.size() < max_errors) errors.push_back(fmt::format("{}:{}: {}", file_name, line, what));
  };
  std::vector<site> sites;
  std::map<std::string, std::int64_t, std::less<>> site_lines, gateway_lines;
  std::array<std::optional<std::size_t>, columns.size()> at{};  // column -> cell index
  bool header_seen = false;
  std::int64_t line_no = 0;
  std::size_t pos = 0;
  while (pos < csv.size()) {
    const std::size_t nl = csv.find('\n', pos);
    std::string_view line = csv.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? csv.size() : nl + 1;
    ++line_no;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (trimmed(line).empty()) continue;
    std::string why;
    const auto cells = split_line(line, why);
    if (!cells) {
      error_at(line_no, why);
      continue;
    }
    if (!header_seen) {
      header_seen = true;
      for (std::size_t i = 0; i < cells->size(); ++i) {
        const std::string name = trimmed((*cells)[i]);
        std::size_t c = 0;
        while (c < columns.size() && columns[c] != name) ++c;
        if (c == columns.size()) {
          error_at(line_no, fmt::format("unknown column \"{}\" (expected {})", text::escape_for_log(name),
                                        "site_id, name, commune, province, population and optionally gateways"));
        } else if (at[c]) {
          error_at(line_no, fmt::format("column \"{}\" named twice", name));
        } else {
          at[c] = i;
        }
      }
      for (std::size_t c = 0; c + 1 < columns.size(); ++c) {
        if (!at[c]) error_at(line_no, fmt::format("the header has no \"{}\" column", columns[c]));
      }
      if (!errors.empty()) break;  // the lines cannot be read without their columns
      continue;
    }
    const auto cell = [&](std::size_t c) { return at[c] && *at[c] < cells->size() ? trimmed((*cells)[*at[c]]) : ""; };
    std::size_t width = 0;
    for (const auto& a : at) width = a ? std::max(width, *a + 1) : width;
    if (cells->size() != width) {
      error_at(line_no, fmt::format("{} cells where the header has {}", cells->size(), width));
      continue;
    }
    site s;
    s.line = line_no;
    s.id = cell(0);
    s.name = cell(1);
    s.commune = cell(2);
    s.province = cell(3);
    bool ok = true;
    if (!valid_id(s.id)) {
      error_at(line_no, fmt::format("site_id \"{}\" is not 1 to 128 of letters, digits, '.', '_', '-'",
                                    text::escape_for_log(s.id)));
      ok = false;
    } else if (const auto [it, fresh] = site_lines.emplace(s.id, line_no); !fresh) {
      error_at(line_no, fmt::format("site_id \"{}\" is already on line {}", s.id, it->second));
      ok = false;
    }
    for (const auto& [column, value] : {std::pair{"name", cell(1)}, {"commune", cell(2)}, {"province", cell(3)}}) {
      if (auto problem = text_problem(column, value); !problem.empty()) {
        error_at(line_no, problem);
        ok = false;
      }
    }
    const std::string population = cell(4);
    std::int64_t people = 0;
    bool number = !population.empty() && population.size() <= 9;
    for (const char c : population) {
      number = number && c >= '0' && c <= '9';
      if (number) people = people * 10 + (c - '0');
    }
    if (!number || people < 1) {
      error_at(line_no, fmt::format("population \"{}\" is not a whole number from 1 to 999999999",
                                    text::escape_for_log(population)));
      ok = false;
    }
    s.population = people;
    const std::string gateways = cell(5);
    std::size_t g = 0;
    while (g < gateways.size()) {
      const std::size_t end = std::min(gateways.find(' ', g), gateways.size());
      if (end > g) s.gateways.push_back(gateways.substr(g, end - g));
      g = end + 1;
    }
    if (s.gateways.empty()) s.gateways.push_back(s.id);
    for (const auto& gw : s.gateways) {
      if (!valid_id(gw)) {
        error_at(line_no, fmt::format("gateway \"{}\" is not 1 to 128 of letters, digits, '.', '_', '-'",
                                      text::escape_for_log(gw)));
        ok = false;
      } else if (const auto [it, fresh] = gateway_lines.emplace(gw, line_no); !fresh) {
        error_at(line_no, fmt::format("gateway \"{}\" is already at the site on line {}", gw, it->second));
        ok = false;
      }
    }
    if (!ok) continue;
    // One spelling per name: "Đắk Lắk" typed with combining marks groups with the precomposed one.
    for (auto* t : {&s.name, &s.commune, &s.province}) *t = text::to_nfc(*t);
    sites.push_back(std::move(s));
  }
  if (!header_seen) error_at(std::max<std::int64_t>(line_no, 1), "empty file: expected a header line and sites");
  if (!errors.empty()) return fail(errc::invalid_argument, text::join(errors, "\n"));
  return sites;
}

}  // namespace ravao::receiver
