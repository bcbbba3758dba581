// Where the counter console is (web.register): what is accepted, and that
// it is forgotten 180 s after the last register.

#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "control/web_registration.hpp"

using ravao::control::web_registration;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::string fingerprint(char digit) {
  std::string out;
  for (int i = 0; i < 32; ++i) {
    if (i) out += ':';
    out += digit;
    out += 'B';
  }
  return out;
}

json::object request(std::string url, std::string fp) {
  return json::object{{"cmd", "web.register"}, {"url", std::move(url)}, {"fingerprint", std::move(fp)}};
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_registered_console_is_kept_until_180_s_after_the_last_register) {
  web_registration web;
  const auto t0 = web_registration::clock::time_point{} + 1000s;
  auto r = web.register_console(request("https://192.168.1.10:8443/", fingerprint('A')), t0);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(*r);  // new
  BOOST_TEST_REQUIRE(web.current(t0 + 179s).has_value());
  BOOST_TEST(web.current(t0 + 179s)->url == "https://192.168.1.10:8443/");
  BOOST_TEST(web.current(t0 + 179s)->fingerprint == fingerprint('A'));
  BOOST_TEST(!web.current(t0 + 180s).has_value());
  // A register every 60 s keeps it.
  r = web.register_console(request("https://192.168.1.10:8443/", fingerprint('A')), t0 + 60s);
  BOOST_TEST(r.has_value());
  BOOST_TEST(!*r);  // the same: nothing to log
  BOOST_TEST(web.current(t0 + 200s).has_value());
  BOOST_TEST(!web.current(t0 + 240s).has_value());
}

BOOST_AUTO_TEST_CASE(a_fingerprint_is_kept_upper_case) {
  web_registration web;
  std::string lower = fingerprint('a');
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  BOOST_TEST_REQUIRE(web.register_console(request("http://router.local/", lower)).has_value());
  BOOST_TEST(web.current()->fingerprint == fingerprint('A'));
}

BOOST_AUTO_TEST_CASE(a_bad_url_or_fingerprint_is_refused_and_the_last_good_one_kept) {
  web_registration web;
  BOOST_TEST_REQUIRE(web.register_console(request("https://a/", fingerprint('C'))).has_value());
  for (const auto& bad : {request("ftp://a/", fingerprint('A')), request("https://a b/", fingerprint('A')),
                          request("https://" + std::string(200, 'a'), fingerprint('A')),
                          request("https://a/\n", fingerprint('A')), request("https://a/", "AB:CD"),
                          request("https://a/", fingerprint('G')), request("https://a/", fingerprint('A') + ":00"),
                          json::object{{"cmd", "web.register"}, {"url", "https://a/"}}}) {
    const auto r = web.register_console(bad);
    BOOST_TEST(!r.has_value(), json::serialize(bad));
  }
  BOOST_TEST(web.current()->fingerprint == fingerprint('C'));
}

BOOST_AUTO_TEST_CASE(nothing_registered_is_nothing_shown) {
  web_registration web;
  BOOST_TEST(!web.current().has_value());
}
