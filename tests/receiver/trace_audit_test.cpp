// The roles and the audit log of contact tracing (docs/tracing.md): every
// trace and index pass is an entry of a keyed hash chain that audit --verify
// checks; the ingest server refuses to trace; a missing key is a clear error.

#include <sqlite3.h>

#include <boost/test/unit_test.hpp>

#include "receiver/receiver_fixture.hpp"
#include "receiver/trace_audit.hpp"
#include "receiver/trace_index.hpp"
#include "support/trace_records.hpp"

using namespace ravao::test;
namespace rr = ravao::receiver;

namespace {

constexpr std::int64_t t0 = 1'796'086'800'000;  // 2026-12-01 08:00 +07:00

// A store with the case (001090012345) and one contact at gw-a, a key file.
struct stores {
  temp_dir dir;
  ravao::seal::key_pair keys = ravao::seal::generate();
  std::string db = receiver_store_location(dir / "receiver.db");
  std::filesystem::path trace_db = dir / "trace.db", key = dir / "province.key";

  stores() {
    auto d = rr::open_store(db, rr::store_mode::serve).value();
    trace_records g(*d, keys.pub);
    g.opened("gw-a", "quay-1", 1, {"001090012345", "Nguyễn Văn An", "0901"}, t0);
    g.opened("gw-a", "quay-1", 2, {"079090000001", "=cmd|' /C calc'!A0", "0902"}, t0 + 600'000);
    g.closed("gw-a", "quay-1", 1, t0 + 1'800'000);
    BOOST_TEST_REQUIRE(g.flush(t0 + 3'600'000).has_value());
    write_file(key, ravao::seal::to_text(keys) + "\n");
  }

  run_result trace(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"trace",      "--db",       db, "--trace-db", trace_db.native(),
                                  "--operator", "bs.lan",     "--case",    "CA-2026-118", "--basis",
                                  "QĐ 2686/QĐ-BCĐQG", "--id", "001090012345", "--from", "2026-12-01",
                                  "--to",       "2026-12-01"};
    args.insert(args.end(), extra.begin(), extra.end());
    return receiver(args);
  }
};

// Runs SQL on the trace file behind the tool's back, as a thief or a
// careless admin would (the triggers dropped first).
void tamper(const std::filesystem::path& trace_db, const std::string& sql) {
  sqlite3* db = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_open(trace_db.c_str(), &db) == SQLITE_OK);
  const std::string all = "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; " + sql;
  char* err = nullptr;
  const int rc = sqlite3_exec(db, all.c_str(), nullptr, nullptr, &err);
  BOOST_TEST(rc == SQLITE_OK, (err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);
}

}  // namespace

BOOST_AUTO_TEST_CASE(trace_prints_the_contacts_and_audit_shows_who_asked_why_and_what_was_opened) {
  stores s;
  auto res = s.trace({"--key", s.key.native()});
  BOOST_TEST_REQUIRE(res.code == 0, res.err);
  BOOST_TEST(res.out.find("case visits: 1") != std::string::npos, res.out);
  BOOST_TEST(res.out.find("contacts: 1") != std::string::npos, res.out);
  BOOST_TEST(res.out.find("079090000001") != std::string::npos, res.out);
  res = s.trace({"--key", s.key.native(), "--format", "csv"});
  BOOST_TEST_REQUIRE(res.code == 0, res.err);
  BOOST_TEST(res.out.find("'=cmd|") != std::string::npos, res.out);  // formula neutralised

  res = receiver({"audit", "--trace-db", s.trace_db.native()});
  BOOST_TEST_REQUIRE(res.code == 0, res.err);
  // The index pass, then the two traces.
  BOOST_TEST(res.out.find("index operator=bs.lan") != std::string::npos, res.out);
  BOOST_TEST(res.out.find("trace operator=bs.lan") != std::string::npos, res.out);
  BOOST_TEST(res.out.find("case=CA-2026-118") != std::string::npos, res.out);
  BOOST_TEST(res.out.find("basis=QĐ 2686/QĐ-BCĐQG") != std::string::npos, res.out);
  BOOST_TEST(res.out.find("unix_user=") != std::string::npos, res.out);
  // The ID number itself is not in the log, only its keyed hash.
  BOOST_TEST(res.out.find("001090012345") == std::string::npos, res.out);
  res = receiver({"audit", "--trace-db", s.trace_db.native(), "--json"});
  const auto all = boost::json::parse(res.out).as_array();
  BOOST_TEST_REQUIRE(all.size() == 3u);
  const auto& entry = all[1].at("entry").as_object();
  BOOST_TEST(entry.at("action").as_string() == "trace");
  BOOST_TEST(entry.at("opened").as_array().size() == 2u);  // the case's record and the contact's, nothing else
  BOOST_TEST(entry.at("legal_basis").as_string() == "QĐ 2686/QĐ-BCĐQG");

  res = receiver({"audit", "--trace-db", s.trace_db.native(), "--verify", "--key", s.key.native()});
  BOOST_TEST(res.code == 0, res.out + res.err);
  BOOST_TEST(res.out.starts_with("ok: 3 entries, head "), res.out);
}

BOOST_AUTO_TEST_CASE(audit_verify_detects_a_changed_entry) {
  stores s;
  BOOST_TEST_REQUIRE(s.trace({"--key", s.key.native()}).code == 0);
  BOOST_TEST_REQUIRE(s.trace({"--key", s.key.native()}).code == 0);
  tamper(s.trace_db, "UPDATE audit SET entry = replace(entry, 'CA-2026-118', 'CA-2026-119') WHERE id = 2;");
  const auto res = receiver({"audit", "--trace-db", s.trace_db.native(), "--verify", "--key", s.key.native()});
  BOOST_TEST(res.code == 1);
  BOOST_TEST(res.out.find("entry 2: its contents do not match its hash") != std::string::npos, res.out);
}

BOOST_AUTO_TEST_CASE(audit_verify_detects_a_removed_entry) {
  stores s;
  BOOST_TEST_REQUIRE(s.trace({"--key", s.key.native()}).code == 0);
  BOOST_TEST_REQUIRE(s.trace({"--key", s.key.native()}).code == 0);
  const auto before = receiver({"audit", "--trace-db", s.trace_db.native(), "--verify", "--key", s.key.native()});
  tamper(s.trace_db, "DELETE FROM audit WHERE id = 2;");
  auto res = receiver({"audit", "--trace-db", s.trace_db.native(), "--verify", "--key", s.key.native()});
  BOOST_TEST(res.code == 1);
  BOOST_TEST(res.out.find("entry 2 is missing") != std::string::npos, res.out);
  BOOST_TEST(res.out.find("entry 3: does not follow") != std::string::npos, res.out);
  // The newest entry removed leaves a valid chain: the head tells.
  stores t;
  BOOST_TEST_REQUIRE(t.trace({"--key", t.key.native()}).code == 0);
  BOOST_TEST_REQUIRE(t.trace({"--key", t.key.native()}).code == 0);
  const auto head = receiver({"audit", "--trace-db", t.trace_db.native(), "--verify", "--key", t.key.native()});
  tamper(t.trace_db, "DELETE FROM audit WHERE id = 3;");
  res = receiver({"audit", "--trace-db", t.trace_db.native(), "--verify", "--key", t.key.native()});
  BOOST_TEST(res.code == 0);
  BOOST_TEST(res.out != head.out);
  BOOST_TEST(head.out.find("3 entries") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_audit_log_refuses_updates_and_deletes_through_sql) {
  stores s;
  auto index = rr::trace_index::open(s.trace_db, rr::trace_keys::derive(s.keys)).value();
  const auto keys = rr::trace_keys::derive(s.keys);
  BOOST_TEST_REQUIRE(rr::audit_append(index->handle(), keys, {{"action", "test"}}).has_value());
  BOOST_TEST(!ravao::sql::exec(index->handle(), "UPDATE audit SET entry = '{}'").has_value());
  BOOST_TEST(!ravao::sql::exec(index->handle(), "DELETE FROM audit").has_value());
  const auto check = rr::audit_verify(rr::audit_entries(index->handle()).value(), keys);
  BOOST_TEST(check.problems.empty());
  // Under another key the same chain does not verify: a thief of the file
  // cannot rebuild it.
  BOOST_TEST(!rr::audit_verify(rr::audit_entries(index->handle()).value(),
                               rr::trace_keys::derive(ravao::seal::generate()))
                  .problems.empty());
}

BOOST_AUTO_TEST_CASE(trace_without_the_secret_key_says_what_is_missing) {
  stores s;
  auto res = s.trace();
  BOOST_TEST(res.code == 1);
  BOOST_TEST(res.err.find("--key FILE is required") != std::string::npos, res.err);
  res = s.trace({"--key", (s.dir / "nowhere.key").native()});
  BOOST_TEST(res.code == 1);
  BOOST_TEST(res.err.find("nowhere.key: cannot read") != std::string::npos, res.err);
  // A public key is not the secret key.
  write_file(s.dir / "public.key", ravao::seal::to_text(s.keys.pub) + "\n");
  res = s.trace({"--key", (s.dir / "public.key").native()});
  BOOST_TEST(res.code == 1);
  BOOST_TEST(res.err.find("public.key") != std::string::npos, res.err);
}

BOOST_AUTO_TEST_CASE(the_ingest_server_refuses_trace_requests) {
  receiver_fixture r;
  r.start();
  https_client c(r.options());
  for (const char* target : {"/v1/trace", "/v1/trace/contacts"}) {
    auto rep = c.post(target, R"({"id_number":"001090012345"})");
    BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
    BOOST_TEST(rep->status == 403u);
    BOOST_TEST(rep->body.find("does not trace") != std::string::npos, rep->body);
  }
}
