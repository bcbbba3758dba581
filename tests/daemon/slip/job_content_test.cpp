// Print-job content (slip/job_content.hpp): the one encoder/decoder of the
// JSON in print_jobs.content. Round trips, the formats earlier ravaod
// versions stored, and content the decoder must refuse without throwing.

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "slip/job_content.hpp"

using namespace ravao;
using namespace ravao::slip;

namespace {

slip_content full_slip() {
  slip_content c;
  c.site_name = "Bưu điện Văn hóa xã Tân Phú";
  c.counter_name = "Quầy 1";
  c.issued_at = "23/11/2026 14:05";
  c.slip_number = "0000171";
  c.person_name = "NGUYỄN V. A.";
  c.person_id_masked = "**********45";
  c.retention_days = 45;
  c.reprint = true;
  return c;
}

template <class T>
T decoded(std::string_view kind, std::string_view json) {
  auto r = decode(kind, json);
  BOOST_TEST_REQUIRE(r.has_value(), (r ? "" : r.error().message()));
  BOOST_TEST_REQUIRE(std::holds_alternative<T>(*r));
  return std::get<T>(*r);
}

std::string refusal(std::string_view kind, std::string_view json) {
  auto r = decode(kind, json);
  BOOST_TEST_REQUIRE(!r.has_value());
  BOOST_TEST((r.error().code == make_error_code(errc::invalid_argument)));
  return r.error().context;
}

bool same(const slip_content& a, const slip_content& b) {
  return a.site_name == b.site_name && a.counter_name == b.counter_name && a.issued_at == b.issued_at &&
         a.slip_number == b.slip_number && a.person_name == b.person_name &&
         a.person_id_masked == b.person_id_masked && a.retention_days == b.retention_days && a.reprint == b.reprint;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(round_trip)

BOOST_AUTO_TEST_CASE(slip_with_every_field) {
  const slip_content c = full_slip();
  BOOST_TEST(kind_of(c) == "slip");
  BOOST_TEST(same(decoded<slip_content>("slip", encode(c)), c));
}

BOOST_AUTO_TEST_CASE(slip_without_optional_fields_writes_none) {
  slip_content c = full_slip();
  c.person_name.reset();
  c.person_id_masked.reset();
  c.reprint = false;
  const std::string text = encode(c);
  const auto o = boost::json::parse(text).as_object();
  BOOST_TEST(!o.contains("person_name"));
  BOOST_TEST(!o.contains("person_id_masked"));
  BOOST_TEST(!o.contains("reprint"));
  BOOST_TEST(same(decoded<slip_content>("slip", text), c));
}

BOOST_AUTO_TEST_CASE(an_empty_masked_id_still_counts_as_preprinted) {
  slip_content c = full_slip();
  c.person_id_masked = "";
  BOOST_TEST(decoded<slip_content>("slip", encode(c)).person_id_masked.has_value());
}

BOOST_AUTO_TEST_CASE(card) {
  const job_content c = card_content{"Bưu điện", "quay_1", "Quầy 1"};
  BOOST_TEST(kind_of(c) == "card");
  const auto back = decoded<card_content>("card", encode(c));
  BOOST_TEST(back.site_name == "Bưu điện");
  BOOST_TEST(back.counter_id == "quay_1");
  BOOST_TEST(back.counter_name == "Quầy 1");
}

BOOST_AUTO_TEST_CASE(a_card_carries_the_console_address_when_known) {
  BOOST_TEST(encode(card_content{"Bưu điện", "quay_1", "Quầy 1"}).find("console") == std::string::npos);
  const auto back = decoded<card_content>(
      "card", R"({"site_name":"x","counter_id":"q1","counter_name":"y","console_url":"https://192.168.1.10:8443/",)"
              R"("console_fingerprint":"AB:CD"})");
  BOOST_TEST(back.console_url.value_or("") == "https://192.168.1.10:8443/");
  BOOST_TEST(back.console_fingerprint.value_or("") == "AB:CD");
  const std::string again = encode(back);
  BOOST_TEST(again.find(R"("console_url":"https://192.168.1.10:8443/")") != std::string::npos);
  BOOST_TEST(again.find(R"("console_fingerprint":"AB:CD")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(test_page) {
  const job_content c = test_page_content{"Bưu điện", "p1", "generic-80", ""};
  BOOST_TEST(kind_of(c) == "test");
  const auto back = decoded<test_page_content>("test", encode(c));
  BOOST_TEST(back.site_name == "Bưu điện");
  BOOST_TEST(back.printer_id == "p1");
  BOOST_TEST(back.profile_name == "generic-80");
  BOOST_TEST(back.printed_at.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stored_formats)

// Byte for byte what ravaod wrote before job_content existed (app_print.cpp
// built the object, the store added "number" and the identity, a reprint
// added "reprint"): new versions write the same, old jobs still print.
BOOST_AUTO_TEST_CASE(slip_as_issued_and_reprinted) {
  const std::string issued =
      R"({"site_name":"Bưu điện","counter_name":"Quầy 1","issued_at":"23/11/2026 14:05","retention_days":30,)"
      R"("number":"0000171","person_name":"NGUYỄN V. A.","person_id_masked":"**********45"})";
  const auto c = decoded<slip_content>("slip", issued);
  BOOST_TEST(c.slip_number == "0000171");
  BOOST_TEST(c.person_name.value_or("") == "NGUYỄN V. A.");
  BOOST_TEST(!c.reprint);
  BOOST_TEST(encode(c) == issued);

  const std::string reprinted =
      R"({"site_name":"Bưu điện","counter_name":"Quầy 1","issued_at":"","retention_days":30,"number":"0000171",)"
      R"("reprint":true})";
  const auto r = decoded<slip_content>("slip", reprinted);
  BOOST_TEST(r.reprint);
  BOOST_TEST(!r.person_id_masked.has_value());
  BOOST_TEST(encode(r) == reprinted);
}

BOOST_AUTO_TEST_CASE(card_and_test_page_as_stored) {
  const std::string card = R"({"site_name":"Bưu điện","counter_id":"c1","counter_name":"Quầy 1"})";
  BOOST_TEST(encode(decoded<card_content>("card", card)) == card);
  const std::string test =
      R"({"site_name":"Bưu điện","printer_id":"p1","profile_name":"generic-58","printed_at":"23/11/2026 14:05"})";
  BOOST_TEST(encode(decoded<test_page_content>("test", test)) == test);
}

BOOST_AUTO_TEST_CASE(missing_text_fields_are_empty_and_unknown_fields_ignored) {
  const auto c = decoded<slip_content>("slip", R"({"number":"0000171","future_field":[1,2]})");
  BOOST_TEST(c.site_name.empty());
  BOOST_TEST(c.retention_days == 30);
  const auto card = decoded<card_content>("card", "{}");
  BOOST_TEST(card.counter_id.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(refused)

BOOST_AUTO_TEST_CASE(not_json_or_not_an_object) {
  BOOST_TEST(refusal("slip", "").find("not JSON") != std::string::npos);
  BOOST_TEST(refusal("card", "{\"site_name\":").find("not JSON") != std::string::npos);
  BOOST_TEST(refusal("test", "[1]").find("not a JSON object") != std::string::npos);
  BOOST_TEST(refusal("slip", std::string(100'000, '[')).find("not JSON") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_slip_without_a_number) {
  BOOST_TEST(refusal("slip", R"({"site_name":"x"})") == "slip job without a number");
  BOOST_TEST(refusal("slip", R"({"number":""})") == "slip job without a number");
}

BOOST_AUTO_TEST_CASE(fields_of_the_wrong_type_name_the_field) {
  BOOST_TEST(refusal("slip", R"({"number":171})").find("\"number\" must be a string") != std::string::npos);
  BOOST_TEST(refusal("slip", R"({"number":"1","retention_days":"30"})").find("\"retention_days\"") !=
             std::string::npos);
  BOOST_TEST(refusal("slip", R"({"number":"1","retention_days":-1})").find("\"retention_days\"") !=
             std::string::npos);
  BOOST_TEST(refusal("slip", R"({"number":"1","retention_days":9999999999})").find("\"retention_days\"") !=
             std::string::npos);
  BOOST_TEST(refusal("slip", R"({"number":"1","reprint":1})").find("\"reprint\" must be true or false") !=
             std::string::npos);
  BOOST_TEST(refusal("slip", R"({"number":"1","person_name":null})").find("\"person_name\"") != std::string::npos);
  BOOST_TEST(refusal("card", R"({"counter_id":["c1"]})").find("\"counter_id\"") != std::string::npos);
  BOOST_TEST(refusal("test", R"({"printed_at":false})").find("\"printed_at\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unknown_kind) {
  BOOST_TEST(refusal("banner", "{}") == "unknown print job kind \"banner\"");
  BOOST_TEST(refusal("", "{}") == "unknown print job kind \"\"");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(console_kinds)

BOOST_AUTO_TEST_CASE(poster_round_trips_and_needs_its_code) {
  const job_content c = poster_content{"Bưu điện", "https://tokhaiyte.vn/checkin?place=42"};
  BOOST_TEST(kind_of(c) == "poster");
  const auto back = decoded<poster_content>("poster", encode(c));
  BOOST_TEST(back.qr_text == "https://tokhaiyte.vn/checkin?place=42");
  BOOST_TEST(refusal("poster", R"({"site_name":"x"})").find("QR text") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(declaration_copy_stores_no_answers_unless_given) {
  declaration_copy_content c;
  c.site_name = "Bưu điện";
  c.record = 88;
  c.person_id_masked = "**********45";
  c.actor = "web:alice";
  const std::string stored = encode(c);
  BOOST_TEST(kind_of(job_content(c)) == "declaration");
  BOOST_TEST(stored.find("answers") == std::string::npos);
  c.answers = {{"Điện thoại", "0912345678"}, {"Sốt", "Không"}};
  const auto back = decoded<declaration_copy_content>("declaration", encode(c));
  BOOST_TEST(back.record == 88);
  BOOST_TEST(back.actor == "web:alice");
  BOOST_TEST_REQUIRE(back.answers.size() == 2u);
  BOOST_TEST(back.answers[0].first == "Điện thoại");
  BOOST_TEST(back.answers[1].second == "Không");
  BOOST_TEST(refusal("declaration", R"({"answers":[["a"]]})").find("answers") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(form_definition)

BOOST_AUTO_TEST_CASE(a_slip_carries_the_form_it_was_issued_with) {
  slip_content c = full_slip();
  BOOST_TEST(!decoded<slip_content>("slip", encode(c)).form.has_value());  // as older versions stored it
  c.form = default_form();
  const auto back = decoded<slip_content>("slip", encode(c));
  BOOST_TEST_REQUIRE(back.form.has_value());
  BOOST_TEST(to_json(*back.form) == to_json(default_form()));
  BOOST_TEST(same(back, c));
}

BOOST_AUTO_TEST_CASE(a_damaged_form_is_refused_naming_it) {
  for (const char* json : {R"({"number":"0000171","form":{"fields":[]}})",
                           R"({"number":"0000171","form":{"fields":[{"name":"name","label":"A\u001b","type":"text","required":true}],"consent":"c"}})",
                           R"({"number":"0000171","form":[]})"}) {
    BOOST_TEST(refusal("slip", json).find("form") != std::string::npos, json);
  }
}

BOOST_AUTO_TEST_SUITE_END()
