// ravao-web's pure parts: the configuration, what is read from requests, the
// reports (CSV, SVG), the JSON written for browsers, the devices in words, and
// the answer a page gets when ravaod is down.

#include <boost/test/unit_test.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "support/harness.hpp"
#include "web/api.hpp"
#include "web/config.hpp"
#include "web/device_text.hpp"
#include "web/reports.hpp"
#include "web/request.hpp"

using namespace ravao::web;
namespace json = boost::json;

BOOST_AUTO_TEST_CASE(config_defaults_and_every_problem_with_its_line) {
  auto ok = parse_web_config("[web]\nlisten = \"192.168.1.10:8443\"\nsession_idle = \"5m\"\n", "web.toml");
  BOOST_TEST_REQUIRE(ok.has_value());
  BOOST_TEST(ok->listen.host == "192.168.1.10");
  BOOST_TEST(ok->listen.port == 8443);
  BOOST_TEST(ok->session_idle.count() == 300);
  BOOST_TEST(ok->session_max.count() == 12 * 3600);
  BOOST_TEST(ok->state_dir == "/var/lib/ravao-web");
  BOOST_TEST(!ok->certificate.has_value());

  auto bad = parse_web_config(
      "[web]\nlisten = \"nowhere\"\nfoo = 1\nsession_max = \"3q\"\ncertificate = \"/etc/c.pem\"\nredirect_http = \"yes\"\n",
      "/etc/ravao/web.toml");
  BOOST_TEST_REQUIRE(!bad.has_value());
  const std::string& e = bad.error().context;
  BOOST_TEST(e.find("/etc/ravao/web.toml:2: [web] listen") != std::string::npos, e);
  BOOST_TEST(e.find("/etc/ravao/web.toml:3: [web]: unknown key \"foo\"") != std::string::npos, e);
  BOOST_TEST(e.find("/etc/ravao/web.toml:4: [web] session_max") != std::string::npos, e);
  BOOST_TEST(e.find("/etc/ravao/web.toml:6: [web] redirect_http: must be a boolean") != std::string::npos, e);
  BOOST_TEST(e.find("give both `certificate` and `key`") != std::string::npos, e);
  BOOST_TEST(e.find(":2:") < e.find(":3:"));  // in file order

  auto syntax = parse_web_config("[web\n", "w.toml");
  BOOST_TEST_REQUIRE(!syntax.has_value());
  BOOST_TEST(syntax.error().context.starts_with("w.toml:1: invalid TOML"));
  BOOST_TEST(parse_listen("[::]:443").has_value());
  BOOST_TEST(!parse_listen("1.2.3.4:70000").has_value());
  BOOST_TEST(!parse_duration("0s").has_value());
  BOOST_TEST(parse_duration("2d")->count() == 2 * 86400);
}

BOOST_AUTO_TEST_CASE(query_cookie_and_origin_are_read_strictly) {
  BOOST_TEST(*query_param("/api/visits?counter=qu%E1%BA%A7y-1&x=2", "counter") == "quầy-1");
  BOOST_TEST(!query_param("/api/visits?x=2", "counter").has_value());
  BOOST_TEST(!query_param("http://evil/api", "counter").has_value());
  BOOST_TEST(*target_path("/api/visits?c=1") == "/api/visits");
  BOOST_TEST(*cookie_value("a=1; ravao_session=abc; b=2", "ravao_session") == "abc");
  BOOST_TEST(!cookie_value("xravao_session=abc", "ravao_session").has_value());
  BOOST_TEST(origin_allowed("", "10.0.0.1:8443"));
  BOOST_TEST(origin_allowed("https://10.0.0.1:8443", "10.0.0.1:8443"));
  BOOST_TEST(origin_allowed("https://10.0.0.1", "10.0.0.1:443"));
  BOOST_TEST(!origin_allowed("http://10.0.0.1:8443", "10.0.0.1:8443"));
  BOOST_TEST(!origin_allowed("null", "10.0.0.1:8443"));
  BOOST_TEST(!origin_allowed("https://10.0.0.1:8443.evil", "10.0.0.1:8443"));
}

BOOST_AUTO_TEST_CASE(json_bodies_and_declaration_fields_are_bounded) {
  BOOST_TEST(parse_json_object(R"({"a":1})").has_value());
  BOOST_TEST(!parse_json_object("[1]").has_value());
  BOOST_TEST(!parse_json_object(std::string(20, '[') + std::string(20, ']')).has_value());
  BOOST_TEST(!parse_json_object("{\"a\":\"\xff\"}").has_value());
  auto fields = declaration_fields(json::parse(R"({"name":"Nguyễn Văn An","phone":"0901234567","note":""})"));
  BOOST_TEST_REQUIRE(fields.has_value());
  BOOST_TEST(json::serialize(*fields) == R"([["name","Nguyễn Văn An"],["phone","0901234567"]])");
  BOOST_TEST(!declaration_fields(json::parse(R"({"Name":"x"})")).has_value());
  BOOST_TEST(!declaration_fields(json::parse(R"({"name":1})")).has_value());
  BOOST_TEST(!declaration_fields(json::parse("{\"name\":\"a\\u0000b\"}")).has_value());
  BOOST_TEST(declaration_fields(json::parse(R"({"address":"Thôn 3\nXã Ia Kênh"})")).has_value());
  auto obj = *parse_json_object(R"({"counter":"desk","visit":12,"user":""})");
  BOOST_TEST(*string_field(obj, "counter") == "desk");
  BOOST_TEST(!string_field(obj, "user").has_value());
  BOOST_TEST(*integer_field(obj, "visit", 1, 100) == 12);
  BOOST_TEST(!integer_field(obj, "visit", 13, 100).has_value());
}

BOOST_AUTO_TEST_CASE(csv_cells_that_a_spreadsheet_would_run_are_neutralised) {
  BOOST_TEST(csv_cell("=HYPERLINK(\"http://x\")") == "\"'=HYPERLINK(\"\"http://x\"\")\"");
  BOOST_TEST(csv_cell("+1") == "'+1");
  BOOST_TEST(csv_cell("-2") == "'-2");
  BOOST_TEST(csv_cell("@SUM(A1)") == "'@SUM(A1)");
  BOOST_TEST(csv_cell("\tx") == "'\tx");
  BOOST_TEST(csv_cell("\rx") == "\"'\rx\"");
  BOOST_TEST(csv_cell("quầy 1") == "quầy 1");
  BOOST_TEST(csv_cell("a,b") == "\"a,b\"");
  const auto summary = json::parse(R"({"days":[{"date":"2026-12-04","counter":"=cmd|' /C calc'!A0","visits":3,
      "declarations":1,"slips_issued":2,"slips_returned":0,"duplicates":0,"staff_checkouts":1}]})");
  const std::string csv = summary_csv(summary);
  BOOST_TEST(csv.starts_with("\xEF\xBB\xBFNgày,Quầy,"));
  BOOST_TEST(csv.find("2026-12-04,'=cmd|' /C calc'!A0,3,1,2,0,0,1\r\n") != std::string::npos, csv);
  BOOST_TEST(csv.find(",=") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_hourly_chart_escapes_its_text_and_counts_every_counter) {
  const auto summary = json::parse(R"({"today_hours":[{"counter":"a","hour":9,"visits":4},
      {"counter":"b","hour":9,"visits":3},{"counter":"a","hour":19,"visits":1},{"counter":"a","hour":99,"visits":5}]})");
  const std::string svg = hourly_svg(summary, "<script>alert(1)</script> & co");
  BOOST_TEST(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  BOOST_TEST(svg.find("<script") == std::string::npos);
  BOOST_TEST(svg.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co") != std::string::npos);
  BOOST_TEST(svg.find("9:00 – 10:00: 7 lượt") != std::string::npos);
  BOOST_TEST(svg.find("19h") != std::string::npos);  // the chart grows to the last hour with visits
  BOOST_TEST(hourly_svg(json::value(nullptr), "x").find("</svg>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(json_for_the_browser_escapes_markup_and_bidi_controls) {
  const auto v = json::value{{"name", "<script>\"x\"&\u202E\u2028"}};
  const std::string out = web_json(v);
  BOOST_TEST(out.find('<') == std::string::npos);
  BOOST_TEST(out.find('>') == std::string::npos);
  BOOST_TEST(out.find('&') == std::string::npos);
  BOOST_TEST(out.find("\u202E") == std::string::npos);
  BOOST_TEST(json::parse(out) == v);  // the same JSON
}

BOOST_AUTO_TEST_CASE(devices_are_told_in_vietnamese_with_what_to_do) {
  BOOST_TEST(printer_text(printer_state("online", "paper_out")) == "Máy in hết giấy: thay cuộn giấy");
  BOOST_TEST(printer_state("offline", "paper_out") == "offline");
  const auto counter = json::parse(R"({"id":"desk","name":"Quầy 2","state":"offline","scanner":"s1","printer":"p1"})");
  const auto devices = json::parse(R"([{"id":"p1","type":"printer","state":"online","paper":"cover_open"}])");
  const auto view = counter_view(counter.as_object(), devices);
  BOOST_TEST(view.at("printer").at("state").as_string() == "cover_open");
  BOOST_TEST(view.at("printer").at("text").as_string() == "Nắp máy in đang mở: đóng nắp lại");
  BOOST_TEST(view.at("scanner").at("text").as_string().starts_with("Máy quét chưa kết nối"));
  const auto no_printer = json::parse(R"({"id":"x","state":"online","printer":""})");
  BOOST_TEST(counter_view(no_printer.as_object(), devices).at("printer").is_null());
}

BOOST_AUTO_TEST_CASE(a_ravaod_that_is_down_gives_a_503_in_vietnamese) {
  ravao::test::temp_dir dir;
  boost::asio::io_context io;
  control_client control(io.get_executor(), dir / "no.sock", std::chrono::seconds(5));
  auto done = boost::asio::co_spawn(io, control.call(json::object{{"cmd", "status"}}), boost::asio::use_future);
  io.run();
  auto r = done.get();
  BOOST_TEST_REQUIRE(std::holds_alternative<control_failure>(r));
  const auto answer = api::control_failure_reply(std::get<control_failure>(r));
  BOOST_TEST(static_cast<unsigned>(answer.status) == 503u);
  BOOST_TEST(json::parse(answer.body).at("error").as_string().starts_with("Không kết nối được"));

  control_failure refused{control_failure::kind::refused, "declaration not recorded",
                          json::parse(R"({"ok":false,"error":"declaration not recorded","field_errors":[
                              {"field":"phone","message":"bad phone","message_vi":"Số điện thoại không hợp lệ"}]})")
                              .as_object()};
  const auto invalid = api::control_failure_reply(refused);
  BOOST_TEST(static_cast<unsigned>(invalid.status) == 422u);
  BOOST_TEST(json::parse(invalid.body).at("field_errors").at("phone").as_string() == "Số điện thoại không hợp lệ");
}
