// libFuzzer target: what ravao-web reads from a request (web/request.*) and
// writes from what it read (web/reports.*), on arbitrary bytes taken as one
// raw HTTP request: Beast's parser with the server's limits, then the
// target's path and query, the session cookie, the Origin check, the JSON
// body, its fields and the declaration's fields, the CSV cells and the JSON
// and SVG written for browsers. Nothing may crash, hang or throw, and:
//   * declaration fields hold no ASCII control but LF and TAB;
//   * a CSV cell never starts with = + - @ TAB CR;
//   * JSON for the browser has no < > & and parses back to the same value;
//   * the SVG holds no "<script" even with a hostile title.
// Seeds: tests/fuzz/corpus/web_request/ (requests as a browser sends them).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "web/reports.hpp"
#include "web/request.hpp"

namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
namespace web = ravao::web;

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "web_request_fuzz: invariant violated: %s\n", what);
  std::abort();
}

void check_body(const json::object& body, std::string_view title) {
  (void)web::string_field(body, "user", 64);
  (void)web::string_field(body, "password", 256);
  (void)web::integer_field(body, "visit", 1, INT64_MAX);
  if (auto counter = web::string_member(body, "counter")) {
    const std::string cell = web::csv_cell(*counter);
    require(cell.empty() || std::string_view("=+-@\t\r").find(cell.front()) == std::string_view::npos ||
                (cell.front() == '"' && cell.size() > 1 && std::string_view("=+-@\t\r").find(cell[1]) == std::string_view::npos),
            "a CSV cell starts with a formula character");
  }
  if (const auto* fields = body.if_contains("fields")) {
    if (auto pairs = web::declaration_fields(*fields)) {
      for (const auto& p : *pairs) {
        const std::string_view value = p.as_array().at(1).as_string();
        require(std::ranges::none_of(value, [](char c) { return (c >= 0 && c < 0x20 && c != '\n' && c != '\t') || c == 0x7f; }),
                "a declaration value holds a control character");
      }
    }
  }
  const std::string out = web::web_json(body);
  require(out.find_first_of("<>&") == std::string::npos, "markup in JSON for the browser");
  boost::system::error_code ec;
  require(json::parse(out, ec) == json::value(body) && !ec, "JSON for the browser is not the same JSON");
  (void)web::summary_csv(body);
  require(web::hourly_svg(body, title).find("<script") == std::string::npos, "markup in the SVG");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  http::request_parser<http::string_body> parser;
  parser.header_limit(web::max_header_bytes);
  parser.body_limit(web::max_body_bytes);
  parser.eager(true);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  if (!parser.is_header_done()) return 0;
  const auto& req = parser.get();
  const std::string_view target = req.target();
  (void)web::target_path(target);
  const auto counter = web::query_param(target, "counter");
  (void)web::query_param(target, "days");
  (void)web::cookie_value(req[http::field::cookie], "ravao_session");
  (void)web::origin_allowed(req[http::field::origin], req[http::field::host]);
  if (!parser.is_done()) return 0;
  if (auto body = web::parse_json_object(req.body())) check_body(*body, counter.value_or(std::string(target)));
  return 0;
}
