#include "web/device_text.hpp"

#include <boost/json.hpp>

namespace ravao::web {
namespace json = boost::json;

namespace {

std::string_view str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view{};
}

}  // namespace

std::string scanner_text(std::string_view state) {
  if (state == "online") return "Máy quét sẵn sàng";
  if (state == "starting") return "Máy quét đang khởi động: chờ vài giây";
  if (state == "offline") return "Máy quét chưa kết nối: kiểm tra dây cắm của máy quét";
  if (state == "error") return "Máy quét bị lỗi: rút ra, cắm lại; nếu vẫn lỗi, báo cho quản lý";
  return "Không rõ trạng thái máy quét: báo cho quản lý";
}

std::string printer_state(std::string_view connection, std::string_view paper) {
  if (connection != "online") return std::string(connection.empty() ? "unknown" : connection);
  return std::string(paper.empty() ? "unknown" : paper);
}

std::string printer_text(std::string_view state) {
  if (state == "online") return "Máy in sẵn sàng";
  if (state == "unknown") return "Máy in đã kết nối";
  if (state == "paper_near_end") return "Máy in sắp hết giấy: chuẩn bị cuộn giấy mới";
  if (state == "paper_out") return "Máy in hết giấy: thay cuộn giấy";
  if (state == "cover_open") return "Nắp máy in đang mở: đóng nắp lại";
  if (state == "starting") return "Máy in đang khởi động: chờ vài giây";
  if (state == "offline" || state == "gone") return "Máy in chưa kết nối: kiểm tra dây cắm và công tắc nguồn";
  if (state == "error") return "Máy in bị lỗi: tắt rồi bật lại máy in; nếu vẫn lỗi, báo cho quản lý";
  return "Không rõ trạng thái máy in: báo cho quản lý";
}

json::object counter_view(const json::object& counter, const json::value& devices) {
  const std::string id(str(counter, "id"));
  json::object out{{"id", id}, {"name", str(counter, "name")}, {"mode", str(counter, "mode")}};
  for (const char* k : {"visits_today", "open_visits", "last_scan"}) {
    if (const auto* v = counter.if_contains(k)) out[k] = *v;
  }
  const std::string scanner_state(str(counter, "state"));
  out["scanner"] = json::object{{"id", str(counter, "scanner")}, {"state", scanner_state}, {"text", scanner_text(scanner_state)}};
  out["printer"] = nullptr;
  const std::string_view printer_id = str(counter, "printer");
  if (printer_id.empty()) return out;
  std::string state = "unknown";
  if (devices.is_array()) {
    for (const auto& d : devices.as_array()) {
      const auto* o = d.if_object();
      if (!o || str(*o, "type") != "printer" || str(*o, "id") != printer_id) continue;
      state = printer_state(str(*o, "state"), str(*o, "paper"));
    }
  }
  out["printer"] = json::object{{"id", printer_id}, {"state", state}, {"text", printer_text(state)}};
  return out;
}

}  // namespace ravao::web
