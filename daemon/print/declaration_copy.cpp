#include "print/declaration_copy.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <array>

#include "common/text.hpp"
#include "print/print_jobs.hpp"

namespace ravao {
namespace json = boost::json;

namespace {

// Labels of the fields `ravaoctl declare` takes today (docs/declarations.md).
constexpr std::array<std::pair<std::string_view, std::string_view>, 16> labels{{
    {"name", "Họ và tên"},
    {"birth", "Ngày sinh"},
    {"sex", "Giới tính"},
    {"nationality", "Quốc tịch"},
    {"id", "Số giấy tờ"},
    {"phone", "Điện thoại"},
    {"address", "Địa chỉ"},
    {"fever", "Sốt"},
    {"cough", "Ho"},
    {"breath", "Khó thở"},
    {"throat", "Đau họng"},
    {"taste", "Mất vị giác, khứu giác"},
    {"other", "Triệu chứng khác"},
    {"contact", "Tiếp xúc ca bệnh"},
    {"travel", "Đi từ vùng có dịch"},
    {"date", "Ngày khai"},
}};

std::string label_of(std::string_view name) {
  for (const auto& [n, l] : labels)
    if (n == name) return std::string(l);
  return std::string(name);
}

std::string shown_value(const json::value& v) {
  if (!v.is_string()) return json::serialize(v);
  const std::string_view s = v.as_string();
  constexpr std::array<std::pair<std::string_view, std::string_view>, 5> words{
      {{"yes", "Có"}, {"no", "Không"}, {"unknown", "Không rõ"}, {"male", "Nam"}, {"female", "Nữ"}}};
  for (const auto& [w, vi] : words)
    if (w == s) return std::string(vi);
  return std::string(s);
}

void flatten(const json::object& o, std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& kv : o) {
    const std::string_view name = kv.key();
    if (name == "name" || name == "id") continue;
    if (kv.value().is_object()) flatten(kv.value().as_object(), out);
    else out.emplace_back(label_of(name), shown_value(kv.value()));
  }
}

}  // namespace

result<job_request> poster_job(const config& cfg, const counter_config& c, const printer_config& p,
                               const timestamp& at) {
  if (cfg.site.checkin_qr.empty())
    return fail(errc::not_found, "no check-in QR code is configured: set [site] checkin_qr to the code the site "
                                 "registered with the national platform");
  return job_request{p.id, c.id, slip::poster_content{cfg.site.name, cfg.site.checkin_qr}, at};
}

std::vector<std::pair<std::string, std::string>> declaration_answers(const json::object& declaration) {
  std::vector<std::pair<std::string, std::string>> out;
  flatten(declaration, out);
  return out;
}

slip::declaration_copy_content declaration_copy_for(const config& cfg, const counter_config& c, const timestamp& at,
                                                    std::int64_t seq, std::string_view slip_number,
                                                    std::string_view person_id, std::string_view person_name,
                                                    std::string_view actor) {
  slip::declaration_copy_content copy;
  copy.site_name = cfg.site.name;
  copy.counter_name = c.name;
  copy.declared_at = printed_time(at, cfg.site.utc_offset);
  copy.slip_number = slip_number;
  copy.record = seq;
  copy.person_name_masked = text::mask_name(person_name);
  copy.person_id_masked = text::mask_id(person_id);
  copy.actor = actor;
  return copy;
}

}  // namespace ravao
