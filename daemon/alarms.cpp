#include "alarms.hpp"

#include <array>

namespace ravao {

namespace {

struct entry {
  alarm_code code;
  std::string_view name;
  alarm_text text;
};

// One line per alarm: the code, then what counter staff and their supervisor
// read. Staff are not IT people: say what is wrong in plain words and the
// one thing to do; "bộ phận kỹ thuật" is the provincial IT admin.
constexpr std::array catalogue{
    entry{alarm_code::store_unavailable, "store.unavailable",
          {"Không ghi được dữ liệu lượt khách, các lượt quét đang được giữ chờ",
           "báo ngay cho bộ phận kỹ thuật; không tắt máy"}},
    entry{alarm_code::store_recovered, "store.recovered",
          {"Tệp dữ liệu bị hỏng nên đã được cất riêng, máy đang ghi vào tệp mới",
           "báo cho bộ phận kỹ thuật để lấy lại dữ liệu cũ"}},
    entry{alarm_code::store_size, "store.size",
          {"Dữ liệu chờ gửi lên tỉnh đã quá nhiều",
           "kiểm tra kết nối mạng; nếu vẫn vậy, báo cho bộ phận kỹ thuật"}},
    entry{alarm_code::scanner_offline, "scanner.offline",
          {"Máy quét chưa kết nối", "kiểm tra dây cắm của máy quét"}},
    entry{alarm_code::scanner_error, "scanner.error",
          {"Máy quét bị lỗi", "rút ra, cắm lại; nếu vẫn lỗi, báo cho bộ phận kỹ thuật"}},
    entry{alarm_code::printer_offline, "printer.offline",
          {"Máy in chưa kết nối", "kiểm tra dây cắm và công tắc nguồn của máy in"}},
    entry{alarm_code::printer_error, "printer.error",
          {"Không dùng được máy in", "kiểm tra dây cắm; nếu vẫn lỗi, báo cho bộ phận kỹ thuật"}},
    entry{alarm_code::printer_paper_out, "printer.paper_out", {"Máy in hết giấy", "thay cuộn giấy"}},
    entry{alarm_code::printer_cover_open, "printer.cover_open", {"Nắp máy in đang mở", "đóng nắp lại"}},
    entry{alarm_code::printer_not_answering, "printer.not_answering",
          {"Máy in đang ngừng hoặc không trả lời", "kiểm tra công tắc nguồn và dây cắm của máy in"}},
    entry{alarm_code::printer_fault, "printer.fault",
          {"Máy in báo lỗi", "tắt rồi bật lại máy in; nếu vẫn lỗi, báo cho bộ phận kỹ thuật"}},
    entry{alarm_code::sync_unavailable, "sync.unavailable",
          {"Không gửi được dữ liệu lên tỉnh vì cấu hình gửi bị lỗi, dữ liệu vẫn được giữ",
           "báo cho bộ phận kỹ thuật"}},
    entry{alarm_code::sync_failing, "sync.failing",
          {"Chưa gửi được dữ liệu lên tỉnh, máy sẽ tự gửi lại", "kiểm tra kết nối mạng"}},
    entry{alarm_code::sync_conflict, "sync.conflict",
          {"Máy chủ của tỉnh giữ một bản ghi khác với bản ghi ở đây, việc gửi đang tạm dừng",
           "báo cho bộ phận kỹ thuật; không xóa gì"}},
    entry{alarm_code::sync_refused, "sync.refused",
          {"Máy chủ của tỉnh từ chối một số bản ghi", "báo cho bộ phận kỹ thuật"}},
    entry{alarm_code::sync_held, "sync.held",
          {"Máy chủ của tỉnh chưa nhận một loại bản ghi mới; các bản ghi này được giữ lại và sẽ gửi lại",
           "báo bộ phận kỹ thuật của tỉnh nâng cấp máy chủ"}},
    entry{alarm_code::clock_unsynchronised, "clock.unsynchronised",
          {"Đồng hồ của máy chưa được đồng bộ nên chưa gửi dữ liệu lên tỉnh",
           "kiểm tra kết nối mạng; nếu vẫn vậy, báo cho bộ phận kỹ thuật"}},
    entry{alarm_code::privacy_no_key, "privacy.no_key",
          {"Chưa cài khóa mã hóa của tỉnh nên họ tên và số giấy tờ của khách không được lưu",
           "báo cho bộ phận kỹ thuật"}},
};

constexpr std::array<alarm_code, catalogue.size()> codes = [] {
  std::array<alarm_code, catalogue.size()> out{};
  for (std::size_t i = 0; i < catalogue.size(); ++i) out[i] = catalogue[i].code;
  return out;
}();

// The table is in enum order, one entry per code: find() indexes it.
static_assert([] {
  for (std::size_t i = 0; i < catalogue.size(); ++i)
    if (catalogue[i].code != static_cast<alarm_code>(i)) return false;
  return catalogue.back().code == alarm_code::privacy_no_key;
}());

const entry& find(alarm_code c) {
  return catalogue[static_cast<std::size_t>(c)];
}

}  // namespace

std::span<const alarm_code> all_alarm_codes() { return codes; }

std::string_view to_string(alarm_code c) { return find(c).name; }

alarm_text staff_text(alarm_code c) { return find(c).text; }

boost::json::object to_json(const status_alarm& a) {
  const alarm_text t = staff_text(a.code);
  return boost::json::object{{"code", to_string(a.code)}, {"message", a.message},  {"device", a.device},
                             {"counter", a.counter},      {"message_vi", t.message}, {"action_vi", t.action}};
}

}  // namespace ravao
