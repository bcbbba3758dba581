// ravao-web end to end: a real ravao-web in front of a real ravaod with pty
// scanners (console_fixture.hpp), spoken to over real TLS. Sessions, CSRF,
// throttling, headers, TLS versions, counter binding, the event stream.

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "web/certificate.hpp"
#include "console_fixture.hpp"

using namespace ravao::test;
namespace json = boost::json;

namespace {

// One console for the whole file: starting ravaod and hashing three
// passwords is the slow part. Tests that change state use their own account.
console& shared() {
  static console c;
  return c;
}

https_client client() { return https_client(shared().options()); }

bool is_hex64(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(login_sets_a_secure_http_only_strict_cookie_and_logout_ends_the_session) {
  auto c = client();
  const auto r = post(c, "/api/login", R"({"user":"alice","password":"secret-alice"})");
  BOOST_TEST_REQUIRE(r.status == 200u);
  const std::string cookie = r.header("set-cookie");
  BOOST_TEST(cookie.find("Secure") != std::string::npos);
  BOOST_TEST(cookie.find("HttpOnly") != std::string::npos);
  BOOST_TEST(cookie.find("SameSite=Strict") != std::string::npos);
  BOOST_TEST(cookie.find("Path=/") != std::string::npos);
  BOOST_TEST(is_hex64(cookie_id(cookie)));
  BOOST_TEST(r.json().at("user").as_string() == "alice");
  BOOST_TEST(r.json().at("role").as_string() == "staff");
  BOOST_TEST(json::serialize(r.json().at("counters")) == R"([{"id":"desk","name":"Quầy 2"}])");
  const session_cookie s{cookie_id(cookie), std::string(r.json().at("csrf").as_string())};
  BOOST_TEST(is_hex64(s.csrf));

  BOOST_TEST(get(c, "/api/session", s.header()).status == 200u);
  const auto out = post_as(c, s, "/api/logout", "");
  BOOST_TEST(out.status == 200u);
  BOOST_TEST(out.header("set-cookie").find("Max-Age=0") != std::string::npos);
  BOOST_TEST(get(c, "/api/session", s.header()).status == 401u);
  BOOST_TEST(shared().web_log().find("web.logout") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(wrong_passwords_then_throttled_with_429_and_retry_after) {
  shared().add_user("eve", "staff", "desk");
  auto c = client();
  // Three failures are free, then 1 s doubling: after seven the account
  // waits 8 s, so the next try is refused unchecked, even with the right password.
  for (int i = 0; i < 7; ++i) {
    const auto r = post(c, "/api/login", R"({"user":"eve","password":"wrong-password"})");
    BOOST_TEST_REQUIRE((r.status == 401u || r.status == 429u), r.status << " " << r.body);
    BOOST_TEST(r.json().at("error").as_string().size() > 0u);
  }
  const auto r = post(c, "/api/login", R"({"user":"eve","password":"secret-eve"})");
  BOOST_TEST(r.status == 429u);
  BOOST_TEST(std::stoi(r.header("retry-after")) > 0);
  BOOST_TEST(r.header("set-cookie").empty());
  BOOST_TEST(shared().web_log().find("web.login_throttled") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_post_without_the_csrf_token_or_with_a_wrong_one_is_refused) {
  auto c = client();
  const auto s = login(c, "bob");
  const std::string body = R"({"counter":"in"})";
  BOOST_TEST(post(c, "/api/visits/undo", body, {{"Cookie", s.header()}}).status == 403u);
  std::string wrong = s.csrf;
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  BOOST_TEST(post(c, "/api/visits/undo", body, {{"Cookie", s.header()}, {"X-CSRF-Token", wrong}}).status == 403u);
  BOOST_TEST(post(c, "/api/visits/undo", body, {{"Cookie", s.header()}, {"X-CSRF-Token", ""}}).status == 403u);
  // Another site's page posting with the browser's cookie and a stolen token.
  BOOST_TEST(post(c, "/api/visits/undo", body,
                  {{"Cookie", s.header()}, {"X-CSRF-Token", s.csrf}, {"Origin", "https://evil.example"}})
                 .status == 403u);
  BOOST_TEST(post_as(c, s, "/api/visits/undo", body).status != 403u);
  BOOST_TEST(shared().web_log().find("web.csrf_refused") != std::string::npos);
  BOOST_TEST(shared().web_log().find("web.origin_refused") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_session_id_brought_to_login_is_never_kept) {
  auto c = client();
  const std::string planted(64, 'a');
  const auto r = post(c, "/api/login", R"({"user":"alice","password":"secret-alice"})",
                      {{"Cookie", "ravao_session=" + planted}});
  BOOST_TEST_REQUIRE(r.status == 200u);
  BOOST_TEST(cookie_id(r.header("set-cookie")) != planted);
  BOOST_TEST(get(c, "/api/session", "ravao_session=" + planted).status == 401u);
  // Logging in again from a live session gives a new id and ends the old one.
  const std::string first = cookie_id(r.header("set-cookie"));
  const auto again = post(c, "/api/login", R"({"user":"alice","password":"secret-alice"})",
                          {{"Cookie", "ravao_session=" + first}});
  BOOST_TEST_REQUIRE(again.status == 200u);
  BOOST_TEST(cookie_id(again.header("set-cookie")) != first);
  BOOST_TEST(get(c, "/api/session", "ravao_session=" + first).status == 401u);
}

BOOST_AUTO_TEST_CASE(every_answer_carries_the_security_headers_and_personal_data_is_never_cached) {
  auto c = client();
  const auto s = login(c, "alice");
  for (const char* target : {"/index.html", "/api/session", "/api/visits?counter=desk", "/no-such-page", "/"}) {
    const auto r = get(c, target, s.header());
    BOOST_TEST_CONTEXT(target) {
      BOOST_TEST(r.header("content-security-policy").find("default-src 'self'") != std::string::npos);
      BOOST_TEST(r.header("content-security-policy").find("frame-ancestors 'none'") != std::string::npos);
      BOOST_TEST(r.header("x-content-type-options") == "nosniff");
      BOOST_TEST(r.header("referrer-policy") == "no-referrer");
      BOOST_TEST(r.header("strict-transport-security").find("max-age=") != std::string::npos);
      BOOST_TEST(r.header("cache-control") == "no-store");
    }
  }
  BOOST_TEST(get(c, "/api/visits?counter=desk", s.header()).header("content-type").starts_with("application/json"));
}

BOOST_AUTO_TEST_CASE(tls_1_1_and_1_0_are_refused_and_1_2_or_newer_accepted) {
  raw_tls old11(shared().port(), TLS1_1_VERSION);
  BOOST_TEST(!old11.handshake());
  raw_tls old10(shared().port(), TLS1_VERSION);
  BOOST_TEST(!old10.handshake());
  raw_tls modern(shared().port());
  BOOST_TEST_REQUIRE(modern.handshake());
  BOOST_TEST(modern.version() >= TLS1_2_VERSION);
}

BOOST_AUTO_TEST_CASE(staff_cannot_reach_another_counter_or_the_supervisor_endpoints) {
  auto c = client();
  const auto alice = login(c, "alice");
  BOOST_TEST(get(c, "/api/visits?counter=desk", alice.header()).status == 200u);
  for (const char* target : {"/api/visits?counter=in", "/api/last-scan?counter=in", "/api/events?counter=in",
                             "/api/overview", "/api/summary?days=7", "/api/summary.csv?days=7", "/api/chart/hourly.svg"}) {
    BOOST_TEST(get(c, target, alice.header()).status == 403u, target);
  }
  for (const auto& [target, body] : std::vector<std::pair<std::string, std::string>>{
           {"/api/visits/checkout", R"({"counter":"in"})"},
           {"/api/slips/print", R"({"counter":"in"})"},
           {"/api/cards/print", R"({"counter":"desk"})"},
           {"/api/poster/print", R"({"counter":"desk"})"}}) {
    BOOST_TEST(post_as(c, alice, target, body).status == 403u, target);
  }
  const auto counters = get(c, "/api/counters", alice.header());
  BOOST_TEST_REQUIRE(counters.status == 200u);
  BOOST_TEST(counters.json().as_array().size() == 1u);
  BOOST_TEST(counters.json().as_array()[0].at("id").as_string() == "desk");
  BOOST_TEST(counters.json().as_array()[0].at("scanner").at("text").as_string().size() > 0u);

  const auto sam = login(c, "sam");
  BOOST_TEST(get(c, "/api/visits?counter=in", sam.header()).status == 200u);
  BOOST_TEST(get(c, "/api/overview", sam.header()).status == 200u);
  BOOST_TEST(get(c, "/api/session", sam.header()).json().at("counters").as_array().size() == 2u);
  BOOST_TEST(shared().web_log().find("web.forbidden") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_scan_at_the_pty_arrives_on_the_event_stream) {
  auto c = client();
  const auto s = login(c, "alice");
  raw_tls stream(shared().port());
  BOOST_TEST_REQUIRE(stream.handshake());
  BOOST_TEST_REQUIRE(stream.write(fmt::format("GET /api/events?counter=desk HTTP/1.1\r\nHost: localhost\r\nCookie: {}\r\n"
                                              "Accept: text/event-stream\r\n\r\n", s.header())));
  BOOST_TEST_REQUIRE(stream.read_until("\r\n\r\n"), stream.received());
  BOOST_TEST_REQUIRE(stream.received().starts_with("HTTP/1.1 200"), stream.received());
  BOOST_TEST(stream.received().find("text/event-stream") != std::string::npos);
  BOOST_TEST(stream.received().find("no-store") != std::string::npos);
  shared().desk_scanner().send(cccd_payload("001099012345", "Trần Thị Bình") + "\r\n");
  BOOST_TEST_REQUIRE(stream.read_until("event: record\ndata: "), stream.received());
  BOOST_TEST_REQUIRE(stream.read_until("\n\n"));
  BOOST_TEST(stream.received().find("\"counter\":\"desk\"") != std::string::npos);
  BOOST_TEST(stream.received().find("001099012345") == std::string::npos);  // masked
}

BOOST_AUTO_TEST_CASE(an_html_significant_name_is_returned_json_escaped) {
  auto c = client();
  const auto s = login(c, "sam");
  const std::string name = "<img src=x onerror=alert(1)> \"onmouseover=x \u202Eevil";
  shared().desk_scanner().send(cccd_payload("079088001234", name) + "\r\n");
  http_reply r;
  BOOST_TEST_REQUIRE(eventually([&] {
    r = get(c, "/api/visits?counter=desk", s.header());
    return r.status == 200u && r.body.find("\\u003c") != std::string::npos;
  }), r.body);
  BOOST_TEST(r.body.find('<') == std::string::npos);
  BOOST_TEST(r.body.find('>') == std::string::npos);
  BOOST_TEST(r.body.find("\u202E") == std::string::npos);  // the bidi override travels as \u202e
  BOOST_TEST(r.json().is_array());
}

BOOST_AUTO_TEST_CASE(port_80_only_redirects_to_https) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(shared().http_port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_TEST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string req = "GET /api/session?x=1 HTTP/1.1\r\nHost: 192.168.1.10\r\n\r\n";
  BOOST_TEST_REQUIRE(::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size()));
  std::string got;
  char buf[2048];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  BOOST_TEST(got.starts_with("HTTP/1.1 301"), got);
  BOOST_TEST(got.find(fmt::format("Location: https://192.168.1.10:{}/api/session?x=1\r\n", shared().port())) !=
             std::string::npos, got);
  BOOST_TEST(got.find("ravao_session") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(malformed_and_oversized_requests_get_4xx_and_the_server_goes_on) {
  {
    auto c = client();
    BOOST_TEST_REQUIRE(c.send_raw("GET /\x01 HTTP/1.1\r\nHost: localhost\r\n\r\n").has_value());
    auto r = c.read_reply();
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->status == 400u);
  }
  {
    auto c = client();
    const auto r = post(c, "/api/login", std::string(70 * 1024, 'x'));
    BOOST_TEST(r.status == 413u);
  }
  {
    auto c = client();
    BOOST_TEST(post(c, "/api/login", "{\"user\":").status == 400u);
    BOOST_TEST(post(c, "/api/login", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]").status == 400u);
  }
  auto c = client();
  BOOST_TEST(get(c, "/api/session").status == 401u);
}

BOOST_AUTO_TEST_CASE(the_self_signed_certificate_is_logged_with_its_fingerprint_and_its_key_is_private) {
  const auto fp = ravao::web::certificate_fingerprint(shared().certificate());
  BOOST_TEST_REQUIRE(fp.has_value());
  BOOST_TEST(fp->size() == 95u);  // 32 bytes, "AB:" each
  BOOST_TEST(shared().web_log().find("web.certificate_created") != std::string::npos);
  BOOST_TEST(shared().web_log().find("fingerprint=" + *fp) != std::string::npos);
  struct stat st{};
  BOOST_TEST_REQUIRE(::stat((shared().certificate().parent_path() / "key.pem").c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
}
