// The weekly report as one printable HTML page (docs/weekly-report.md,
// "HTML"): self-contained (no script, no external file), A4 via @page, the
// two charts as inline SVG drawn here.

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "common/markup.hpp"
#include "receiver/report.hpp"
#include "receiver/report_output.hpp"

namespace ravao::receiver {

namespace {

constexpr std::string_view style = R"css(
@page { size: A4; margin: 14mm 12mm; }
body { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; font-size: 9.5pt; color: #111; margin: 0; }
h1 { font-size: 15pt; margin: 0 0 2mm; }
h2 { font-size: 11.5pt; margin: 6mm 0 2mm; border-bottom: 0.4mm solid #444; break-after: avoid; }
p.meta { margin: 0 0 3mm; color: #333; }
table { border-collapse: collapse; width: 100%; font-size: 7.5pt; }
th, td { border: 0.2mm solid #999; padding: 0.6mm 0.8mm; text-align: right; }
th { background: #eee; font-weight: 600; font-size: 7pt; }
td.t { overflow-wrap: anywhere; }
td.t, th.t { text-align: left; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
tr.no td.p { color: #a00; font-weight: 600; }
.chart { break-inside: avoid; }
svg { width: 100%; height: auto; }
svg text { font-family: inherit; font-size: 10px; }
.kpi { display: flex; flex-wrap: wrap; }
.kpi div { border: 0.3mm solid #999; padding: 1.5mm 2.5mm; min-width: 38mm; margin: 0 2mm 2mm 0; }
.kpi b { display: block; font-size: 13pt; }
@media screen { body { max-width: 200mm; margin: 8mm auto; } }
)css";

constexpr const char* weekdays[] = {"T2", "T3", "T4", "T5", "T6", "T7", "CN"};

std::string per_100(const area_figures& a) {
  const auto v = a.points_per_100();
  return v ? fmt::format("{:.2f}", *v) : std::string("–");
}

// Vertical bars: visits per local day of the week.
std::string day_chart(const weekly_report& r) {
  const auto& days = r.total.figures.visits_by_day;
  const std::int64_t top = std::max<std::int64_t>(1, *std::ranges::max_element(days));
  constexpr int width = 700, height = 220, left = 50, bottom = 40, bar = 60, gap = 30;
  std::string svg = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" )"
                                R"(aria-label="Lượt đến theo ngày" id="chart-days">)",
                                width, height);
  const int plot = height - bottom - 20;
  svg += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#444"/>)", left, height - bottom, width - 10,
                     height - bottom);
  for (std::size_t d = 0; d < days.size(); ++d) {
    const int x = left + gap / 2 + static_cast<int>(d) * (bar + gap);
    const int h = static_cast<int>(static_cast<double>(days[d]) * plot / static_cast<double>(top));
    svg += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="#2f6f9f"/>)", x, height - bottom - h, bar, h);
    svg += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle">{}</text>)", x + bar / 2, height - bottom - h - 4,
                       days[d]);
    svg += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle">{} {}</text>)", x + bar / 2, height - bottom + 15,
                       weekdays[d], xml_escape(r.week.date(static_cast<int>(d)).substr(5)));
  }
  return svg + "</svg>";
}

// Horizontal bars: visits per commune, the largest first (at most 40: one A4 page).
std::string commune_chart(const weekly_report& r) {
  constexpr std::size_t most = 40;
  std::vector<const area_figures*> communes;
  for (const auto& c : r.communes) communes.push_back(&c);
  std::ranges::stable_sort(communes, [](const auto* a, const auto* b) { return a->figures.visits > b->figures.visits; });
  const std::size_t shown_count = std::min(most, communes.size());
  std::int64_t top = 1;
  for (const auto* c : communes) top = std::max(top, c->figures.visits);
  constexpr int width = 700, label = 230, row = 18;
  const int height = static_cast<int>(shown_count) * row + 10;
  std::string svg = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" )"
                                R"(aria-label="Lượt đến theo xã/phường" id="chart-communes">)",
                                width, height);
  for (std::size_t i = 0; i < shown_count; ++i) {
    const auto& c = *communes[i];
    const int y = 5 + static_cast<int>(i) * row;
    const int w = static_cast<int>(static_cast<double>(c.figures.visits) * (width - label - 70) / static_cast<double>(top));
    svg += fmt::format(R"(<text x="{}" y="{}" text-anchor="end">{}</text>)", label - 6, y + 12, xml_escape(c.name));
    svg += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="#3f8f5f"/>)", label, y + 2, w, row - 5);
    svg += fmt::format(R"(<text x="{}" y="{}">{}</text>)", label + w + 4, y + 12, c.figures.visits);
  }
  svg += "</svg>";
  if (communes.size() > shown_count) {
    svg += fmt::format("<p>… và {} xã/phường khác (xem bảng dưới).</p>", communes.size() - shown_count);
  }
  return svg;
}

std::string figures_head(std::string_view first) {
  return fmt::format("<thead><tr>{}<th>Thiết bị</th><th>Im lặng &gt;24 giờ</th><th>Điểm quét triển khai</th>"
                     "<th>Điểm quét hoạt động</th><th>Lượt đến</th><th>Tờ khai</th><th>Khai hộ</th>"
                     "<th>Phiếu giấy phát</th><th>Phiếu giấy thu hồi</th>",
                     first);
}

std::string figures_cells(const week_figures& f) {
  return fmt::format("<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                     "<td>{}</td>",
                     f.gateways, f.gateways_silent, f.points_deployed, f.points_active, f.visits, f.declarations,
                     f.proxy_declarations, f.slips_issued, f.slips_returned);
}

std::string area_table(const std::vector<area_figures>& areas, bool sites) {
  std::string out = "<table>" + figures_head(sites ? R"(<th class="t">Điểm</th><th class="t">Xã/phường</th>)"
                                                   : R"(<th class="t">Xã/phường</th><th class="t">Tỉnh</th>)");
  out += "<th>Dân số</th><th>Điểm quét/100 dân</th><th>Đạt 1/100</th></tr></thead><tbody>";
  for (const auto& a : areas) {
    out += fmt::format(R"(<tr class="{}"><td class="t">{}</td><td class="t">{}</td>{}<td>{}</td><td class="p">{}</td>)"
                       "<td>{}</td></tr>",
                       a.meets_target() ? "yes" : "no", xml_escape(a.name), xml_escape(sites ? a.commune : a.province),
                       figures_cells(a.figures), a.population, per_100(a), a.meets_target() ? "Đạt" : "Chưa đạt");
  }
  return out + "</tbody></table>";
}

}  // namespace

std::string weekly_report_html(const weekly_report& r) {
  const auto& t = r.total;
  const std::string title = fmt::format("Báo cáo tuần {} – điểm quét ravao{}", r.week.name(),
                                        t.name.empty() ? std::string() : " – " + t.name);
  std::string out = fmt::format(R"(<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>{0}</title><style>{1}</style></head><body>
<h1 id="title">{0}</h1>
<p class="meta">Từ {2} đến {3} (giờ Việt Nam, UTC+7). Tình trạng thiết bị tính đến {4}. Chỉ tiêu: ít nhất 1 điểm quét trên 100 dân.</p>
)",
                                xml_escape(title), style, r.week.date(0), r.week.date(6), iso_utc(r.as_of_ms));
  out += R"(<h2>Tổng hợp toàn tỉnh</h2><div class="kpi">)";
  const std::pair<const char*, std::string> kpis[] = {
      {"Điểm quét triển khai", fmt::format("{}", t.figures.points_deployed)},
      {"Điểm quét hoạt động", fmt::format("{}", t.figures.points_active)},
      {"Lượt đến", fmt::format("{}", t.figures.visits)},
      {"Khai hộ / tờ khai", fmt::format("{} / {}", t.figures.proxy_declarations, t.figures.declarations)},
      {"Phiếu giấy phát / thu hồi", fmt::format("{} / {}", t.figures.slips_issued, t.figures.slips_returned)},
      {"Thiết bị im lặng >24 giờ", fmt::format("{} / {}", t.figures.gateways_silent, t.figures.gateways)},
      {"Điểm quét/100 dân", per_100(t)},
  };
  for (const auto& [label, value] : kpis) out += fmt::format("<div>{}<b>{}</b></div>", label, xml_escape(value));
  out += "</div>";
  out += R"(<h2>Lượt đến theo ngày</h2><div class="chart">)" + day_chart(r) + "</div>";
  out += R"(<h2>Lượt đến theo xã/phường</h2><div class="chart">)" + commune_chart(r) + "</div>";
  out += "<h2>Theo xã/phường</h2>" + area_table(r.communes, false);
  out += "<h2>Theo điểm</h2>" + area_table(r.sites, true);
  out += "<h2>Theo thiết bị (gateway)</h2><table>" +
         figures_head(R"(<th class="t">Thiết bị</th><th class="t">Điểm</th>)") +
         R"(<th class="t">Liên lạc cuối (UTC)</th></tr></thead><tbody>)";
  for (const auto& g : r.gateways) {
    out += fmt::format(R"(<tr class="{}"><td class="t">{}</td><td class="t">{}</td>{}<td class="t">{}</td></tr>)",
                       g.silent ? "no" : "yes", xml_escape(g.gateway), xml_escape(g.site.empty() ? "(ngoài bảng)" : g.site),
                       figures_cells(g.figures), g.last_contact_ms ? iso_utc(g.last_contact_ms) : "chưa bao giờ");
  }
  out += "</tbody></table></body></html>\n";
  return out;
}

}  // namespace ravao::receiver
