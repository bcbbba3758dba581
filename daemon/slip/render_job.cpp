#include "slip/render_job.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace ravao::slip {
namespace {

std::string text_field(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string{};
}

std::optional<std::string> optional_text(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

}  // namespace

result<raster> render_job(fonts& f, std::string_view kind, std::string_view content_json, int width_dots) {
  boost::system::error_code ec;
  auto parsed = boost::json::parse(content_json, ec);
  if (ec || !parsed.is_object()) return fail(errc::invalid_argument, "print job content is not a JSON object");
  const auto& o = parsed.as_object();
  if (kind == "slip") {
    slip_content c;
    c.site_name = text_field(o, "site_name");
    c.counter_name = text_field(o, "counter_name");
    c.issued_at = text_field(o, "issued_at");
    c.slip_number = text_field(o, "number");
    c.person_name = optional_text(o, "person_name");
    c.person_id_masked = optional_text(o, "person_id_masked");
    if (const auto* r = o.if_contains("retention_days"); r && r->is_int64()) c.retention_days = static_cast<int>(r->as_int64());
    if (const auto* r = o.if_contains("reprint"); r && r->is_bool()) c.reprint = r->as_bool();
    if (c.slip_number.empty()) return fail(errc::invalid_argument, "slip job without a number");
    return render_slip(f, c, width_dots);
  }
  if (kind == "card") {
    card_content c{text_field(o, "site_name"), text_field(o, "counter_id"), text_field(o, "counter_name")};
    return render_command_card(f, c, width_dots);
  }
  if (kind == "test") {
    test_page_content c{text_field(o, "site_name"), text_field(o, "printer_id"), text_field(o, "profile_name"),
                              text_field(o, "printed_at")};
    return render_test_page(f, c, width_dots);
  }
  return fail(errc::invalid_argument, fmt::format("unknown print job kind \"{}\"", kind));
}

}  // namespace ravao::slip
