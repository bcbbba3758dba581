#include "web/reports.hpp"

#include <algorithm>
#include <array>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/text.hpp"

namespace ravao::web {
namespace json = boost::json;

namespace {

std::string cell_text(const json::value* v) {
  if (!v || v->is_null()) return {};
  if (v->is_string()) return std::string(v->as_string());
  return json::serialize(*v);
}

}  // namespace

std::string summary_csv(const json::value& summary) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> columns{{
      {"date", "Ngày"},
      {"counter", "Quầy"},
      {"visits", "Lượt khách"},
      {"declarations", "Khai báo hộ"},
      {"slips_issued", "Phiếu đã phát"},
      {"slips_returned", "Phiếu thu về"},
      {"duplicates", "Quét trùng"},
      {"staff_checkouts", "Nhân viên cho ra"},
  }};
  std::string out = "\xEF\xBB\xBF";
  for (std::size_t i = 0; i < columns.size(); ++i) out += (i ? "," : "") + csv_cell(columns[i].second);
  out += "\r\n";
  const auto* obj = summary.if_object();
  const auto* days = obj ? obj->if_contains("days") : nullptr;
  if (!days || !days->is_array()) return out;
  for (const auto& row : days->as_array()) {
    const auto* r = row.if_object();
    if (!r) continue;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      out += (i ? "," : "") + csv_cell(cell_text(r->if_contains(columns[i].first)));
    }
    out += "\r\n";
  }
  return out;
}

std::string hourly_svg(const json::value& summary, std::string_view title) {
  std::array<std::int64_t, 24> per_hour{};
  const auto* obj = summary.if_object();
  const auto* hours = obj ? obj->if_contains("today_hours") : nullptr;
  if (hours && hours->is_array()) {
    for (const auto& h : hours->as_array()) {
      const auto* o = h.if_object();
      const auto* hour = o ? o->if_contains("hour") : nullptr;
      const auto* visits = o ? o->if_contains("visits") : nullptr;
      if (!hour || !visits || !hour->is_int64() || !visits->is_int64()) continue;
      if (hour->as_int64() < 0 || hour->as_int64() > 23 || visits->as_int64() < 0) continue;
      per_hour[static_cast<std::size_t>(hour->as_int64())] += visits->as_int64();
    }
  }
  std::size_t first = 7, last = 17;
  for (std::size_t h = 0; h < 24; ++h) {
    if (per_hour[h] == 0) continue;
    first = std::min(first, h);
    last = std::max(last, h);
  }
  const std::int64_t top = std::max<std::int64_t>(1, *std::ranges::max_element(per_hour));
  const int bar = 36, gap = 8, left = 40, base = 230, height = 180;
  const auto bars = static_cast<int>(last - first + 1);
  const int width = left + bars * (bar + gap) + 10;
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"270\" viewBox=\"0 0 {0} 270\" role=\"img\" "
      "aria-label=\"{1}\" font-family=\"sans-serif\" font-size=\"14\">\n<title>{1}</title>\n"
      "<text x=\"{2}\" y=\"24\" font-size=\"16\">{1}</text>\n"
      "<line x1=\"{2}\" y1=\"{3}\" x2=\"{4}\" y2=\"{3}\" stroke=\"#333\"/>\n",
      width, xml_escape(title), left, base, width - 10);
  for (std::size_t h = first; h <= last; ++h) {
    const int x = left + static_cast<int>(h - first) * (bar + gap);
    const auto v = per_hour[h];
    const int bar_height = static_cast<int>(v * height / top);
    out += fmt::format("<g><title>{}:00 – {}:00: {} lượt</title>", h, h + 1, v);
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#1f6fb2\"/>", x, base - bar_height, bar,
                       bar_height);
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", x + bar / 2, base - bar_height - 4, v);
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}h</text></g>\n", x + bar / 2, base + 18, h);
  }
  out += "</svg>\n";
  return out;
}

std::string web_json(const json::value& v) {
  const std::string safe = text::json_for_terminal(json::serialize(v));
  std::string out;
  out.reserve(safe.size());
  for (const char c : safe) {
    switch (c) {
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace ravao::web
