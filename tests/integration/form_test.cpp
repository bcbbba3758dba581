// End to end: the one form definition. A province's [form] in ravao.toml is
// what `form` answers, what `declare` checks (with field_errors, read here
// over the raw control socket as the web program reads them), what the slip
// preview draws, and what --check-config reports with FILE:LINE.

#include <boost/test/unit_test.hpp>

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "integration/common.hpp"

using namespace ravao::test;
namespace json = boost::json;

namespace {

// One counter "desk" with a file printer and a province's own form: a name,
// a phone, a choice and a date; consent naming the law.
const std::string province_config = R"(
[site]
id = "bd-test"
name = "Bưu điện Văn hóa xã Tân Phú"

[store]
path = "{dir}/ravao.db"
retention_days = 21

[control]
socket = "{dir}/ravaod.sock"

[[scanner]]
id = "s-desk"
kind = "serial"
device = "{dir}/tty-desk"

[[counter]]
id = "desk"
name = "Quầy 2"
scanner = "s-desk"
mode = "toggle"
printer = "p1"

[[printer]]
id = "p1"
kind = "file"
path = "{dir}/slips"

[form]
consent = "Tôi đồng ý cho lưu {retention_days} ngày theo Luật số 91/2025/QH15."

[[form.field]]
name = "name"
label = "Họ và tên"
type = "text"
required = true
heading = "NGƯỜI KHAI"

[[form.field]]
name = "phone"
label = "Số điện thoại"
type = "phone"
required = true

[[form.field]]
name = "group"
label = "Đối tượng"
type = "choice"
options = [["resident", "Người dân địa phương", "dan"], ["visitor", "Khách vãng lai", "khach"]]

[[form.field]]
name = "birth"
label = "Ngày sinh"
type = "year_or_date"
)";

// One request line on a fresh connection to the control socket, and its
// one-line answer (the socket gives up after 20 s: a hang fails the test).
json::object control_request(const std::filesystem::path& socket, const json::object& request) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  BOOST_TEST_REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  BOOST_TEST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const std::string line = json::serialize(request) + "\n";
  BOOST_TEST_REQUIRE(::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
  std::string reply;
  char buf[4096];
  while (reply.find('\n') == std::string::npos) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  BOOST_TEST_REQUIRE(reply.find('\n') != std::string::npos, "no answer: " << reply);
  return json::parse(reply).as_object();
}

}  // namespace

BOOST_AUTO_TEST_CASE(form_answers_the_configured_definition) {
  daemon_under_test d{province_config};
  d.start();
  const auto form = d.ctl({"form"}).as_object();
  const auto& fields = form.at("fields").as_array();
  BOOST_TEST_REQUIRE(fields.size() == 4u);
  BOOST_TEST(as_str(fields[0].at("name")) == "name");
  BOOST_TEST(as_str(fields[0].at("heading")) == "NGƯỜI KHAI");
  BOOST_TEST(as_str(fields[2].at("type")) == "choice");
  BOOST_TEST(json::serialize(fields[2].at("options")) ==
             R"([["resident","Người dân địa phương"],["visitor","Khách vãng lai"]])");
  BOOST_TEST(as_str(form.at("consent")) == "Tôi đồng ý cho lưu 21 ngày theo Luật số 91/2025/QH15.");
  // ravaoctl's table shows the labels.
  const auto table = d.ctl_raw({"form"});
  BOOST_TEST(table.code == 0, table.err);
  BOOST_TEST(table.out.find("Khách vãng lai") == std::string::npos);  // options are not listed, labels are
  BOOST_TEST(table.out.find("Đối tượng") != std::string::npos, table.out);
  BOOST_TEST(table.out.find("91/2025/QH15") != std::string::npos, table.out);
}

BOOST_AUTO_TEST_CASE(declare_checks_the_configured_form_and_answers_field_errors) {
  daemon_under_test d{province_config};
  d.start();
  const auto before = d.ctl({"events", "--limit", "100000"}).as_array().size();
  const auto bad = control_request(
      d.socket_path(),
      {{"cmd", "declare"},
       {"counter", "desk"},
       {"fields", json::object{{"name", "Lê Thị Hoa"}, {"phone", "0912 345"}, {"group", "tourist"},
                               {"birth", "2099"}, {"fever", "có"}}}});
  BOOST_TEST(!bad.at("ok").as_bool());
  const std::string error = as_str(bad.at("error"));
  BOOST_TEST(error.starts_with("declaration not recorded:\n"), error);
  const auto& errors = bad.at("field_errors").as_array();
  BOOST_TEST_REQUIRE(errors.size() == 4u, json::serialize(bad));
  // The unknown name first, then the form's order.
  BOOST_TEST(as_str(errors[0].at("field")) == "fever");
  BOOST_TEST(as_str(errors[0].at("message_vi")) == "Mục \"fever\" không có trong tờ khai");
  BOOST_TEST(as_str(errors[1].at("field")) == "phone");
  BOOST_TEST(as_str(errors[1].at("message")) == "has 7 digits; mobile numbers have 10");
  BOOST_TEST(as_str(errors[1].at("message_vi")) ==
             "Số điện thoại không hợp lệ: có 7 chữ số; số di động có 10 chữ số");
  BOOST_TEST(as_str(errors[2].at("field")) == "group");
  BOOST_TEST(as_str(errors[2].at("message_vi")) ==
             "Đối tượng phải là một trong: Người dân địa phương, Khách vãng lai");
  BOOST_TEST(as_str(errors[3].at("field")) == "birth");
  BOOST_TEST(as_str(errors[3].at("message_vi")).starts_with("Ngày sinh sau năm nay ("));
  // Each message is in the error text too, and no value is repeated.
  for (const auto& e : errors) BOOST_TEST(error.find(as_str(e.at("message"))) != std::string::npos);
  BOOST_TEST(error.find("Lê Thị Hoa") == std::string::npos);
  BOOST_TEST(d.ctl({"events", "--limit", "100000"}).as_array().size() == before);

  // The form's own names pass the form: what stops this declare is the
  // counter's lack of a recent card scan, with no field_errors.
  const auto ok2 = control_request(
      d.socket_path(), {{"cmd", "declare"}, {"counter", "desk"},
                        {"fields", json::object{{"name", "Trần Văn Bình"}, {"phone", "0987654321"}, {"group", "khach"}}}});
  BOOST_TEST(as_str(ok2.at("error")).find("no visitor was scanned") != std::string::npos, json::serialize(ok2));
  BOOST_TEST(!ok2.contains("field_errors"));
  // Other failures carry no field_errors.
  const auto no_counter = control_request(
      d.socket_path(), {{"cmd", "declare"}, {"counter", "nowhere"},
                        {"fields", json::object{{"name", "An"}, {"phone", "0987654321"}}}});
  BOOST_TEST(!no_counter.at("ok").as_bool());
  BOOST_TEST(!no_counter.contains("field_errors"));
}

BOOST_AUTO_TEST_CASE(the_slip_preview_draws_the_configured_form) {
  daemon_under_test d{province_config};
  d.start();
  const auto out = d.dir() / "preview.png";
  const auto r = d.ctl_raw({"slip", "preview", "--out", out.string(), "--counter", "desk"});
  BOOST_TEST_REQUIRE(r.code == 0, r.err);
  BOOST_TEST(std::filesystem::file_size(out) > 1000u);
}

BOOST_AUTO_TEST_CASE(check_config_reports_a_bad_form_with_file_and_line) {
  temp_dir t;
  std::string text = province_config;
  text.replace(text.find("type = \"phone\""), 14, "type = \"mobile\"");
  write_file(t / "bad.toml", text);
  const auto r = run({RAVAOD_PATH, "--check-config", (t / "bad.toml").string()});
  BOOST_TEST(r.code == 1);
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(text.find("\"mobile\"")), '\n');
  BOOST_TEST(r.out.find((t / "bad.toml").string() + ":" + std::to_string(line) +
                        ": form field #2 \"phone\": type \"mobile\" is unknown") != std::string::npos,
             r.out);
  for (const char* good : {"/config/ravao.example.toml", "/config/demo.toml"}) {
    const auto ok = run({RAVAOD_PATH, "--check-config", std::string(RAVAO_SOURCE_DIR) + good});
    BOOST_TEST(ok.code == 0, good << ": " << ok.out);
  }
}
