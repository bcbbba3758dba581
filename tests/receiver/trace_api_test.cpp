// The trace API (docs/tracing.md, "The HTTPS API"): `ravao-receiver
// trace-serve` on loopback with real mutual TLS, certificates made by the
// receiver's own `pki`. It answers what the trace command answers; it
// serves only the health department's certificates; every request, refused
// ones included, is an audit entry; and the ingest server refuses both the
// department's certificates and trace requests.

#include <boost/test/unit_test.hpp>

#include <csignal>

#include "receiver/receiver_fixture.hpp"
#include "receiver/trace_index.hpp"
#include "support/trace_records.hpp"

using namespace ravao::test;
namespace rr = ravao::receiver;

namespace {

constexpr std::int64_t t0 = 1'796'086'800'000;  // 2026-12-01 08:00 +07:00
const std::string staff = "BS. Lan";            // the department's staff member: trace-BS._Lan.pem
const std::string request_body =
    R"({"case":"CA-2026-118","legal_basis":"QĐ 2686/QĐ-BCĐQG","id_number":"001090012345",)"
    R"("from":"2026-12-01","to":"2026-12-01","requested_by":"Trần Thị B"})";

// A store with the case and one contact whose name is a formula, a key
// file, a PKI with a gateway's, a staff member's and an expired staff
// certificate, and trace-serve on a free loopback port.
struct trace_api {
  temp_dir dir;
  ravao::seal::key_pair keys = ravao::seal::generate();
  std::string db = receiver_store_location(dir / "receiver.db");
  std::filesystem::path trace_db = dir / "trace.db", key = dir / "province.key";
  std::unique_ptr<process> proc;
  unsigned short port = 0;

  explicit trace_api(std::vector<std::string> extra = {}) {
    {
      auto d = rr::open_store(db, rr::store_mode::serve).value();
      trace_records g(*d, keys.pub);
      g.opened("gw-a", "quay-1", 1, {"001090012345", "Nguyễn Văn An", "0901"}, t0);
      g.opened("gw-a", "quay-1", 2, {"079090000001", "=cmd|' /C calc'!A0", "0902"}, t0 + 600'000);
      g.closed("gw-a", "quay-1", 1, t0 + 1'800'000);
      BOOST_TEST_REQUIRE(g.flush(t0 + 3'600'000).has_value());
    }
    write_file(key, ravao::seal::to_text(keys) + "\n");
    must_run({"pki", "--out", pki("").native(), "--client", "gw-a", "--trace-client", staff});
    must_run({"pki", "--add", "--out", pki("").native(), "--trace-client", "old staff", "--expired"});
    std::vector<std::string> argv{RAVAO_RECEIVER_PATH, "trace-serve", "--listen", "127.0.0.1:0",
                                  "--cert", pki("server.pem").native(), "--key", pki("server.key").native(),
                                  "--client-ca", pki("ca.pem").native(), "--db", db,
                                  "--secret-key", key.native(), "--trace-db", trace_db.native()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const auto out = dir / "trace-serve.out";
    proc = std::make_unique<process>(argv, out, dir / "trace-serve.log");
    const bool up = eventually([&] {
      const std::string text = read_file(out);
      const auto at = text.find("listening on ");
      if (at == std::string::npos || text.find('\n', at) == std::string::npos) return false;
      port = static_cast<unsigned short>(std::stoi(text.substr(text.rfind(':', text.find('\n', at)) + 1)));
      return true;
    }, 30s);
    BOOST_TEST_REQUIRE(up, read_file(dir / "trace-serve.log"));
  }
  ~trace_api() {
    proc->signal(SIGTERM);
    proc->wait(20s);
  }

  std::filesystem::path pki(std::string_view file) const { return dir / "pki" / file; }

  // A client presenting `cert` (trace-BS._Lan, client = the gateway's, ...), or none.
  https_options as(std::optional<std::string> cert) const {
    https_options o;
    o.port = port;
    o.ca_file = pki("ca.pem");
    if (cert) {
      o.client_cert = pki(*cert + ".pem");
      o.client_key = pki(*cert + ".key");
    }
    return o;
  }

  static ravao::result<http_reply> post(https_client& c, std::string_view target, std::string_view body,
                                        std::map<std::string, std::string> headers = {}) {
    post_options p;
    p.gzip = false;
    p.headers = std::move(headers);
    return c.post(target, body, p);
  }

  // The trace command on the same store (its own trace file) with the same question.
  std::string cli(std::string_view format) const {
    return must_run({"trace", "--db", db, "--key", key.native(), "--trace-db", (dir / "cli-trace.db").native(),
                     "--operator", "cli", "--case", "CA-2026-118", "--basis", "QĐ 2686/QĐ-BCĐQG", "--id",
                     "001090012345", "--from", "2026-12-01", "--to", "2026-12-01", "--format", std::string(format)})
        .out;
  }

  boost::json::array audit() const {
    return boost::json::parse(must_run({"audit", "--trace-db", trace_db.native(), "--json"}).out).as_array();
  }
};

const boost::json::object& entry(const boost::json::array& all, std::size_t i) {
  return all.at(i).at("entry").as_object();
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_api_answers_what_the_trace_command_answers_as_json_and_as_csv) {
  trace_api t;
  https_client c(t.as("trace-BS._Lan"));
  auto rep = trace_api::post(c, "/v1/trace", request_body);
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST_REQUIRE(rep->status == 200u, rep->body);
  BOOST_TEST(rep->header("content-type").starts_with("application/json"));
  BOOST_TEST(rep->header("cache-control") == "no-store");
  BOOST_TEST(rep->body == t.cli("json"));
  BOOST_TEST(rep->body.find("079090000001") != std::string::npos, rep->body);

  for (const auto& [target, headers] :
       {std::pair<std::string, std::map<std::string, std::string>>{"/v1/trace", {{"Accept", "text/csv"}}},
        {"/v1/trace?format=csv", {}}}) {
    rep = trace_api::post(c, target, request_body, headers);
    BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
    BOOST_TEST_REQUIRE(rep->status == 200u, rep->body);
    BOOST_TEST(rep->header("content-type").starts_with("text/csv"));
    BOOST_TEST(rep->body == t.cli("csv"));
    // The formula sealed as a name stays text in a spreadsheet.
    BOOST_TEST(rep->body.find("'=cmd|") != std::string::npos, rep->body);
  }

  // Each trace is an entry whose operator is the certificate's subject,
  // with the person the request names; the chain verifies.
  const auto all = t.audit();
  const auto traces = std::count_if(all.begin(), all.end(), [](const auto& e) {
    return e.at("entry").at("action").as_string() == "trace";
  });
  BOOST_TEST(traces == 3);
  const auto& last = entry(all, all.size() - 1);
  BOOST_TEST(last.at("operator").as_string().find("CN=BS. Lan") != std::string::npos, last);
  BOOST_TEST(last.at("requested_by").as_string() == "Trần Thị B");
  BOOST_TEST(last.at("case").as_string() == "CA-2026-118");
  BOOST_TEST(last.at("via").as_string() == "https");
  BOOST_TEST(last.at("opened").as_array().size() == 2u);
  BOOST_TEST(boost::json::serialize(all).find("001090012345") == std::string::npos);  // only its keyed hash
  const auto verify = receiver({"audit", "--trace-db", t.trace_db.native(), "--verify", "--key", t.key.native()});
  BOOST_TEST(verify.code == 0, verify.out + verify.err);
}

BOOST_AUTO_TEST_CASE(no_certificate_a_gateway_certificate_and_an_expired_one_are_refused) {
  trace_api t;
  {
    https_client none(t.as(std::nullopt));
    auto rep = trace_api::post(none, "/v1/trace", request_body);
    BOOST_TEST(!rep.has_value());  // the handshake fails: no request is made
  }
  {
    https_client expired(t.as("trace-old_staff"));
    auto rep = trace_api::post(expired, "/v1/trace", request_body);
    BOOST_TEST(!rep.has_value());
  }
  https_client gateway(t.as("client"));
  auto rep = trace_api::post(gateway, "/v1/trace", request_body);
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 403u);
  BOOST_TEST(rep->body.find("no trace role") != std::string::npos, rep->body);

  // The gateway's request is audited as refused, with its case and basis;
  // nothing was traced.
  const auto all = t.audit();
  BOOST_TEST_REQUIRE(!all.empty());
  const auto& e = entry(all, all.size() - 1);
  BOOST_TEST(e.at("action").as_string() == "trace_refused");
  BOOST_TEST(e.at("status").as_int64() == 403);
  BOOST_TEST(e.at("operator").as_string().find("CN=gw-a") != std::string::npos, e);
  for (const auto& x : all) BOOST_TEST(x.at("entry").at("action").as_string() != "trace");
  const auto log = read_file(t.dir / "trace-serve.log");
  BOOST_TEST(log.find("trace_api.handshake_failed") != std::string::npos, log);
}

BOOST_AUTO_TEST_CASE(a_missing_legal_basis_is_400_an_oversize_body_413_and_both_are_audited) {
  trace_api t;
  https_client c(t.as("trace-BS._Lan"));
  auto rep = trace_api::post(c, "/v1/trace",
                             R"({"case":"CA-7","id_number":"001090012345","from":"2026-12-01","to":"2026-12-01"})");
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 400u);
  BOOST_TEST(rep->json().at("error").as_string() == "\"legal_basis\" is required", rep->body);

  rep = trace_api::post(c, "/v1/trace", std::string(20'000, ' ') + request_body);
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 413u);

  rep = trace_api::post(c, "/v1/trace?format=xlsx", request_body);
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 400u);

  const auto all = t.audit();
  std::vector<std::int64_t> statuses;
  for (const auto& x : all) {
    const auto& e = x.at("entry").as_object();
    if (e.at("action").as_string() == "trace_refused") statuses.push_back(e.at("status").as_int64());
  }
  BOOST_TEST((statuses == std::vector<std::int64_t>{400, 413, 400}));
  BOOST_TEST(entry(all, all.size() - 3).at("case").as_string() == "CA-7");
  BOOST_TEST(entry(all, all.size() - 3).at("operator").as_string().find("CN=BS. Lan") != std::string::npos);
  const auto verify = receiver({"audit", "--trace-db", t.trace_db.native(), "--verify", "--key", t.key.native()});
  BOOST_TEST(verify.code == 0, verify.out + verify.err);
}

BOOST_AUTO_TEST_CASE(a_client_over_its_rate_gets_429_with_retry_after_and_one_audit_entry_per_run) {
  trace_api t({"--rate-burst", "2", "--rate-per-minute", "1"});
  https_client c(t.as("trace-BS._Lan"));
  for (int i = 0; i < 2; ++i) {
    auto rep = trace_api::post(c, "/v1/trace", request_body);
    BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
    BOOST_TEST(rep->status == 200u);
  }
  for (int i = 0; i < 3; ++i) {
    auto rep = trace_api::post(c, "/v1/trace", request_body);
    BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
    BOOST_TEST(rep->status == 429u);
    BOOST_TEST(!rep->header("retry-after").empty());
  }
  const auto all = t.audit();
  const auto refused = std::count_if(all.begin(), all.end(), [](const auto& e) {
    return e.at("entry").at("action").as_string() == "trace_refused";
  });
  BOOST_TEST(refused == 1);  // the first of the run; the other two are counted with the next entry
}

BOOST_AUTO_TEST_CASE(the_ingest_server_refuses_a_health_department_certificate_and_trace_requests) {
  receiver_fixture r;
  must_run({"pki", "--add", "--out", r.pki("").native(), "--trace-client", staff});
  r.start({"--client-ca", r.pki("ca.pem").native()});
  auto o = r.options();
  o.token.clear();
  o.client_cert = r.pki("trace-BS._Lan.pem");
  o.client_key = r.pki("trace-BS._Lan.key");
  https_client c(o);
  auto rep = c.post("/v1/heartbeats", R"({"protocol":1,"gateway":"BS. Lan"})");
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 403u);
  BOOST_TEST(rep->body.find("trace role") != std::string::npos, rep->body);
  rep = c.post("/v1/trace", request_body);
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 403u);
  BOOST_TEST(rep->body.find("does not trace") != std::string::npos, rep->body);
}
