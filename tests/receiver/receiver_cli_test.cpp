// ravao-receiver keygen, records, stats and pki: files, modes, output, errors.

#include <sys/stat.h>

#include <boost/test/unit_test.hpp>

#include "receiver/receiver_fixture.hpp"
#include "common/seal.hpp"
#include "common/seal_window.hpp"

using namespace ravao::test;

namespace {

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

}  // namespace

BOOST_AUTO_TEST_CASE(keygen_writes_a_private_key_and_prints_the_public_line) {
  temp_dir dir;
  const auto key = dir / "province.key";
  auto res = receiver({"keygen", "--out", key.native()});
  BOOST_TEST_REQUIRE(res.code == 0, res.err);
  BOOST_TEST(mode_of(key) == 0600u);
  std::string line = res.out;
  while (!line.empty() && line.back() == '\n') line.pop_back();
  const auto pub = ravao::seal::parse_public_key(line);
  BOOST_TEST_REQUIRE(pub.has_value(), line);
  const auto pair = ravao::seal::parse_key_pair(read_file(key));
  BOOST_TEST_REQUIRE(pair.has_value());
  BOOST_TEST((pair->pub == *pub));
  // Never overwrites a key.
  const std::string before = read_file(key);
  res = receiver({"keygen", "--out", key.native()});
  BOOST_TEST(res.code == 1);
  BOOST_TEST(res.err.find("refusing to overwrite") != std::string::npos, res.err);
  BOOST_TEST(read_file(key) == before);
}

BOOST_AUTO_TEST_CASE(records_opens_sealed_fields_of_both_formats_only_with_the_key) {
  receiver_fixture r;
  const auto key = r.dir() / "province.key";
  auto res = receiver({"keygen", "--out", key.native()});
  BOOST_TEST_REQUIRE(res.code == 0, res.err);
  const auto pub = ravao::seal::parse_public_key(res.out);
  BOOST_TEST_REQUIRE(pub.has_value());
  const std::string secret = R"({"id_number":"001090012345","name":"Trần Thị Bích"})";
  // Format 1 (crypto_box_seal, gateways before issue 16) and format 2 (a
  // window's key, common/seal_window.hpp) side by side.
  auto rec = make_record(1);
  rec["sealed"] = ravao::seal::base64(ravao::seal::seal(*pub, secret));
  ravao::seal::window_sealer window(*pub);
  auto rec2 = make_record(3);
  rec2["sealed"] = ravao::seal::base64(window.seal(R"({"id_number":"079190000777","name":"Phạm Thị Thu"})"));
  r.start();
  https_client c(r.options());
  auto rep = c.post("/v1/batches", batch_body(json::array{rec, make_record(2, "scan"), rec2}));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST_REQUIRE(rep->status == 200u, rep->body);

  // A sealed format this build does not know is refused by name.
  auto future = make_record(4);
  std::string box = window.seal("{}");
  box[ravao::seal::v2::version_offset] = 3;
  future["sealed"] = ravao::seal::base64(box);
  rep = c.post("/v1/batches", batch_body(json::array{future}));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 422u, rep->body);
  BOOST_TEST(rep->body.find("format 3") != std::string::npos, rep->body);

  // Without the key: masked forms, no sealed text, nothing personal.
  const auto masked = r.records();
  BOOST_TEST_REQUIRE(masked.size() == 3u);
  BOOST_TEST(!masked[0].as_object().contains("sealed"));
  BOOST_TEST(!masked[0].as_object().contains("opened"));
  BOOST_TEST(masked[0].at("id_masked").as_string() == "**********45");
  BOOST_TEST(masked[0].at("sealed_bytes").as_int64() > 0);
  res = receiver({"records", "--db", r.db_arg()});
  BOOST_TEST(res.code == 0);
  BOOST_TEST(res.out.find("give --key to open") != std::string::npos, res.out);
  BOOST_TEST(res.out.find("001090012345") == std::string::npos);

  // With the key: the sealed contents.
  const auto opened = r.records({"--key", key.native(), "--gateway", std::string(test_gateway)});
  BOOST_TEST_REQUIRE(opened.size() == 3u);
  BOOST_TEST(opened[0].at("opened").at("id_number").as_string() == "001090012345");
  BOOST_TEST(opened[0].at("opened").at("name").as_string() == "Trần Thị Bích");
  BOOST_TEST(!opened[1].as_object().contains("opened"));
  BOOST_TEST(opened[2].at("opened").at("id_number").as_string() == "079190000777");
  res = receiver({"records", "--db", r.db_arg(), "--key", key.native()});
  BOOST_TEST(res.out.find("Trần Thị Bích") != std::string::npos, res.out);
  BOOST_TEST(res.out.find("Phạm Thị Thu") != std::string::npos, res.out);

  // Another key cannot open it, and says so.
  const auto other = r.dir() / "other.key";
  BOOST_TEST_REQUIRE(receiver({"keygen", "--out", other.native()}).code == 0);
  const auto wrong = r.records({"--key", other.native()});
  BOOST_TEST(wrong[0].as_object().contains("open_error"));
  BOOST_TEST(wrong[2].as_object().contains("open_error"));
  BOOST_TEST(r.records({"--gateway", "nobody"}).empty());
  BOOST_TEST(json::parse(must_run({"records", "--db", r.db_arg(), "--json", "--limit", "1"}).out).as_array().size() ==
             1u);
  // The database holds no clear personal data either.
  r.stop();
  if (!r.on_sqlite()) return;  // a SQLite file's bytes
  const std::string db = read_file(r.db()) + read_file(r.db().native() + "-wal");
  BOOST_TEST(db.find("001090012345") == std::string::npos);
  BOOST_TEST(db.find("079190000777") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(stats_counts_duplicates_gaps_and_outcomes) {
  receiver_fixture r;
  r.start();
  https_client c(r.options());
  BOOST_TEST_REQUIRE(c.post("/v1/batches", seq_batch(1, 10)).has_value());
  BOOST_TEST_REQUIRE(c.post("/v1/batches", seq_batch(5, 10)).has_value());
  BOOST_TEST_REQUIRE(c.post("/v1/batches", seq_batch(15, 20)).has_value());
  BOOST_TEST_REQUIRE(c.post("/v1/batches", "{").has_value());
  const auto row = r.stream_row();
  BOOST_TEST(row.at("records").as_int64() == 16);
  BOOST_TEST(row.at("duplicates").as_int64() == 6);
  BOOST_TEST(row.at("highest_seq").as_int64() == 20);
  BOOST_TEST(row.at("gaps").as_int64() == 4);
  const auto res = receiver({"stats", "--db", r.db_arg()});
  BOOST_TEST(res.code == 0, res.err);
  BOOST_TEST(res.out.find("gw-test") != std::string::npos, res.out);
  BOOST_TEST(res.out.find("stored=3") != std::string::npos, res.out);
  BOOST_TEST(res.out.find("-: last heartbeat never; requests: malformed=1") != std::string::npos, res.out);
}

BOOST_AUTO_TEST_CASE(pki_writes_certificates_and_private_keys_0600) {
  temp_dir dir;
  auto res = receiver({"pki", "--out", (dir / "p").native(), "--host", "receiver.test", "--ip", "10.0.0.7",
                       "--client", "hn-01", "--days", "3"});
  BOOST_TEST_REQUIRE(res.code == 0, res.err);
  for (const auto* f : {"ca", "server", "client", "other-ca"}) {
    BOOST_TEST(std::filesystem::exists(dir / "p" / fmt::format("{}.pem", f)));
    BOOST_TEST(mode_of(dir / "p" / fmt::format("{}.key", f)) == 0600u, f);
  }
  const auto text = run({"/usr/bin/openssl", "x509", "-in", (dir / "p" / "server.pem").native(), "-noout", "-text"});
  if (text.code == 0) {
    BOOST_TEST(text.out.find("DNS:receiver.test") != std::string::npos, text.out);
    BOOST_TEST(text.out.find("IP Address:10.0.0.7") != std::string::npos, text.out);
    const auto verify = run({"/usr/bin/openssl", "verify", "-CAfile", (dir / "p" / "ca.pem").native(),
                             (dir / "p" / "client.pem").native()});
    BOOST_TEST(verify.code == 0, verify.out << verify.err);
    const auto client = run({"/usr/bin/openssl", "x509", "-in", (dir / "p" / "client.pem").native(), "-noout",
                             "-subject"});
    BOOST_TEST(client.out.find("CN = hn-01") != std::string::npos, client.out);
  }
  // Existing files are kept unless --force.
  res = receiver({"pki", "--out", (dir / "p").native()});
  BOOST_TEST(res.code == 1);
  BOOST_TEST(res.err.find("--force") != std::string::npos, res.err);
  BOOST_TEST(receiver({"pki", "--out", (dir / "p").native(), "--force"}).code == 0);
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2_and_runtime_failures_exit_1) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"serve"},
           {"serve", "--listen", "nowhere", "--cert", "c", "--key", "k", "--db", "d"},
           {"serve", "--listen", "127.0.0.1:99999", "--cert", "c", "--key", "k", "--db", "d"},
           {"records", "--db"},
           {"records", "--db", "x", "--limit", "-1"},
           {"stats", "--db", "x", "--bogus"},
           {"keygen"},
           {"pki", "--out", "x", "--ip", "not-an-ip"},
       }) {
    const auto res = receiver(args);
    BOOST_TEST(res.code == 2, (args.empty() ? "" : args[0]) << ": " << res.err);
    BOOST_TEST(!res.err.empty());
  }
  temp_dir dir;
  auto res = receiver({"serve", "--listen", "127.0.0.1:0", "--cert", (dir / "missing.pem").native(), "--key",
                       (dir / "missing.key").native(), "--db", (dir / "r.db").native(), "--client-ca",
                       (dir / "missing-ca.pem").native()});
  BOOST_TEST(res.code == 1);
  BOOST_TEST(res.err.find("--cert") != std::string::npos, res.err);
  res = receiver({"stats", "--db", (dir / "nothing.db").native()});
  BOOST_TEST(res.code == 1);
  BOOST_TEST(res.err.find("no such receiver database") != std::string::npos, res.err);
  for (const auto* command : {"serve", "keygen", "records", "stats", "pki"}) {
    res = receiver({command, "--help"});
    BOOST_TEST(res.code == 0);
    BOOST_TEST(res.out.find("usage: ravao-receiver") != std::string::npos);
  }
  BOOST_TEST(receiver({"pki", "--help"}).out.find("FOR TESTS AND DEMOS ONLY") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(audit_6_the_database_and_its_wal_are_private) {
  // Started with a login shell's umask (022), the receiver used to create its
  // database -rw-r--r--: a province's records readable by every local user.
  struct restore_umask {
    mode_t old = ::umask(022);
    ~restore_umask() { ::umask(old); }
  } umask_022;
  receiver_fixture r;
  if (!r.on_sqlite()) return;  // a SQLite file's modes
  r.start();
  https_client c(r.options());
  const auto rep = c.post("/v1/batches", seq_batch(1, 10));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST_REQUIRE(rep->status == 200u, rep->body);
  const std::string db = r.db().native();
  for (const auto* suffix : {"", "-wal", "-shm"}) {
    BOOST_TEST_REQUIRE(std::filesystem::exists(db + suffix), db + suffix);
    BOOST_TEST(mode_of(db + suffix) == 0600u, db + suffix);
  }
  // What the read-only commands create (a -shm, a -wal) is private too.
  r.stop();
  BOOST_TEST(must_run({"records", "--db", db}).out.find("gw-test") != std::string::npos);
  must_run({"stats", "--db", db});
  for (const auto& entry : std::filesystem::directory_iterator(r.dir().path())) {
    if (entry.path().filename().native().starts_with("receiver.db")) {
      BOOST_TEST(mode_of(entry.path()) == 0600u, entry.path().native());
    }
  }

  // A database left readable by an older version is made private at start,
  // and the log says so.
  BOOST_TEST_REQUIRE(::chmod(db.c_str(), 0644) == 0);
  r.start();
  BOOST_TEST(mode_of(db) == 0600u);
  BOOST_TEST(r.log().find("receiver.db_made_private") != std::string::npos, r.log());
  BOOST_TEST(r.log().find("was=0644") != std::string::npos, r.log());
}
