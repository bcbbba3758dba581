// ravao-receiver on PostgreSQL (issue 15) beyond what the receiver suite's
// _pg variants check: two receivers on one database, day partitions and
// retention, COPY and multi-row INSERT, backpressure (503 with Retry-After,
// the connection kept) when the database is slower than the gateways, group
// commit (a duplicate batch in a group does not fail the others), and the
// schema 2 -> 4 migration raced by several processes.

#include <boost/test/unit_test.hpp>

#include <future>
#include <thread>

#include "receiver/receiver_fixture.hpp"
#include "support/receiver_process.hpp"

using namespace ravao::test;

namespace {

std::int64_t num(const json::value& v, std::string_view key) { return v.at(key).as_int64(); }

// A record whose JSON needs COPY's escaping: tabs, line breaks and
// backslashes (written by the JSON serializer as \t, \n, \\) in its payload.
std::string awkward_batch(std::int64_t first, std::int64_t last, std::string_view gateway = test_gateway) {
  json::array rs;
  for (std::int64_t s = first; s <= last; ++s) {
    auto r = make_record(s, "scan");
    r["payload"] = fmt::format("a\tb\\c\\\\N {} \\N", s);
    rs.push_back(std::move(r));
  }
  return batch_body(std::move(rs), make_sent(), gateway);
}

// A reply that must be 200: its "accepted" count.
template <class Reply>
std::int64_t accepted(const Reply& rep) {
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST_REQUIRE(rep->status == 200u, rep->body);
  return num(rep->json(), "accepted");
}

std::int64_t pending_records(postgres_server& pg, const std::string& db, std::string_view where = "true") {
  return std::stoll(pg.psql(db, fmt::format("SELECT count(*) FROM records WHERE {}", where)));
}

}  // namespace

BOOST_AUTO_TEST_CASE(copy_and_multi_row_insert_store_the_same_records_byte_for_byte) {
  auto& pg = shared_postgres();
  std::vector<json::array> seen;
  for (const auto* how : {"copy", "values"}) {
    receiver_fixture r(pg.url(pg.create_database()));
    r.start({"--pg-insert", how});
    https_client c(r.options());
    auto rep = c.post("/v1/batches", awkward_batch(1, 2500));
    BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
    BOOST_TEST_REQUIRE(rep->status == 200u, rep->body);
    BOOST_TEST(num(rep->json(), "accepted") == 2500);
    rep = c.post("/v1/batches", awkward_batch(2000, 3000));
    BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
    BOOST_TEST(num(rep->json(), "accepted") == 500, how);
    BOOST_TEST(num(rep->json(), "duplicates") == 501, how);
    seen.push_back(r.records());
    BOOST_TEST(seen.back().size() == 3000u);
    BOOST_TEST(seen.back()[0].at("payload").as_string() == "a\tb\\c\\\\N 1 \\N");
  }
  BOOST_TEST(json::serialize(seen[0]) == json::serialize(seen[1]));
}

// A batch is first loaded as if new (COPY straight into record_keys and the
// day's partition); a key already stored makes that attempt fail and roll
// back, and the batch is stored again through the staging table. Nothing of
// the failed attempt may remain: not a row, not a count.
BOOST_AUTO_TEST_CASE(a_batch_with_stored_keys_leaves_nothing_of_its_failed_fast_load) {
  auto& pg = shared_postgres();
  for (const auto* how : {"copy", "values"}) {
    const auto name = pg.create_database();
    receiver_fixture r(pg.url(name));
    r.start({"--pg-insert", how});
    https_client c(r.options());
    const auto post = [&](const std::string& body, unsigned status) {
      auto rep = c.post("/v1/batches", body);
      BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
      BOOST_TEST_REQUIRE(rep->status == status, how << ": " << rep->body);
      return rep->json();
    };
    BOOST_TEST(num(post(seq_batch(1, 1000), 200), "accepted") == 1000, how);
    auto again = post(seq_batch(1, 1000), 200);  // the whole batch again: fails at its first key
    BOOST_TEST(num(again, "accepted") == 0, how);
    BOOST_TEST(num(again, "duplicates") == 1000, how);
    auto tail = post(seq_batch(901, 1500), 200);  // stored keys first, then new ones
    BOOST_TEST(num(tail, "accepted") == 500, how);
    BOOST_TEST(num(tail, "duplicates") == 100, how);
    BOOST_TEST(num(post(seq_batch(1501, 1600), 200), "accepted") == 100, how);  // new again: the fast way
    // Other content under stored keys, beside new ones: 409, nothing of it stored, the copies kept.
    post(awkward_batch(1591, 1700), 409);

    BOOST_TEST(pending_records(pg, name) == 1600, how);
    BOOST_TEST(std::stoll(pg.psql(name, "SELECT count(*) FROM record_keys")) == 1600, how);
    BOOST_TEST(std::stoll(pg.psql(name, "SELECT count(*) FROM conflicts")) == 10, how);
    BOOST_TEST(pg.psql(name, "SELECT string_agg(outcome || '=' || count, ',' ORDER BY outcome) FROM outcomes") ==
                   "conflict=1,stored=4\n",
               how);
    const auto row = r.stream_row();
    BOOST_TEST(num(row, "records") == 1600, how);
    BOOST_TEST(num(row, "duplicates") == 1100, how);
    BOOST_TEST(num(row, "gaps") == 0, how);
    BOOST_TEST(r.log().find("receiver.store_failed") == std::string::npos, r.log());
  }
}

// The state a race leaves (seen once as a sync_test_pg failure): a retried
// batch's key is found stored by its first statement, and its record row is
// deleted and committed (a province removing a forged record; the trigger
// drops the key too) before the next statement compares the batch with the
// stored rows. Made here deterministically: the row deleted with the
// trigger held back, so that the key outlives it. The batch must be refused
// (503, retried), not counted as a duplicate and acknowledged unstored.
BOOST_AUTO_TEST_CASE(a_stored_key_whose_record_is_gone_refuses_the_batch_instead_of_acknowledging_it) {
  auto& pg = shared_postgres();
  const auto name = pg.create_database();
  receiver_fixture r(pg.url(name));
  r.start();
  https_client c(r.options());
  BOOST_TEST_REQUIRE(accepted(c.post("/v1/batches", awkward_batch(1, 3))) == 3);
  pg.psql(name, "SET session_replication_role = replica; DELETE FROM records WHERE seq = 2");
  BOOST_TEST_REQUIRE(pending_records(pg, name) == 2);
  auto rep = c.post("/v1/batches", awkward_batch(1, 3));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 503u, rep->body);
  BOOST_TEST(!rep->header("retry-after").empty());
  BOOST_TEST(pending_records(pg, name) == 2);
  // Once the key is gone too (as the trigger leaves it when the delete
  // commits), the retry stores the record.
  pg.psql(name, "DELETE FROM record_keys WHERE seq = 2");
  const auto again = c.post("/v1/batches", awkward_batch(1, 3));
  BOOST_TEST(accepted(again) == 1);
  BOOST_TEST(num(again->json(), "duplicates") == 2);
  BOOST_TEST(pending_records(pg, name) == 3);
}

BOOST_AUTO_TEST_CASE(two_receivers_on_one_database_store_every_record_exactly_once) {
  auto& pg = shared_postgres();
  const auto name = pg.create_database();
  receiver_fixture a(pg.url(name));
  receiver_fixture b(pg.url(name));
  // Two gateways, each with a token on both receivers.
  const auto tokens = a.dir() / "two-gateways";
  write_file(tokens, "gw-a token-gw-a\ngw-b token-gw-b\n");
  a.start({"--tokens", tokens.native()});
  b.start({"--tokens", tokens.native()});
  const auto client_of = [&](const receiver_fixture& r, std::string token) {
    auto o = r.options();
    o.token = std::move(token);
    return o;
  };

  // Each gateway's uploads split between the receivers, and every batch
  // also sent to both at once (a retry through the other receiver).
  std::vector<std::string> failures;
  std::mutex failures_mutex;
  const auto upload = [&](const receiver_fixture& r, std::string gateway) {
    https_client c(client_of(r, "token-" + gateway));
    for (std::int64_t first = 1; first <= 2000; first += 100) {
      auto rep = c.post("/v1/batches", awkward_batch(first, first + 99, gateway));
      if (!rep || rep->status != 200u) {
        std::lock_guard lock(failures_mutex);
        failures.push_back(rep ? rep->body : rep.error().message());
      }
    }
  };
  {
    std::vector<std::jthread> senders;
    for (const auto* g : {"gw-a", "gw-b"}) {
      senders.emplace_back(upload, std::cref(a), g);
      senders.emplace_back(upload, std::cref(b), g);
    }
  }
  BOOST_TEST(failures.empty(), fmt::format("{}", fmt::join(failures, "\n")));
  BOOST_TEST(pending_records(pg, name) == 4000);
  BOOST_TEST(std::stoll(pg.psql(name, "SELECT count(*) FROM (SELECT 1 FROM records GROUP BY gateway, stream, seq"
                                      " HAVING count(*) > 1) x")) == 0);
  const auto stats = a.stats();
  std::int64_t stored = 0, duplicates = 0;
  for (const auto& s : stats.at("streams").as_array()) {
    stored += num(s, "records");
    duplicates += num(s, "duplicates");
    BOOST_TEST(num(s, "highest_seq") == 2000);
    BOOST_TEST(num(s, "gaps") == 0);
  }
  BOOST_TEST(stored == 4000);
  BOOST_TEST(duplicates == 4000);
  BOOST_TEST(a.log().find("receiver.store_failed") == std::string::npos, a.log());
  BOOST_TEST(b.log().find("receiver.store_failed") == std::string::npos, b.log());
}

BOOST_AUTO_TEST_CASE(records_go_into_day_partitions_and_retention_drops_the_old_days) {
  auto& pg = shared_postgres();
  const auto name = pg.create_database();
  receiver_fixture r(pg.url(name));
  r.start();
  https_client c(r.options());
  auto rep = c.post("/v1/batches", seq_batch(1, 10));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST_REQUIRE(rep->status == 200u, rep->body);
  r.stop();
  // Today's and tomorrow's partitions exist; an old day is made by hand, as
  // if the receiver had run then.
  const auto parts = pg.psql(name, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'records'::regclass");
  BOOST_TEST(std::stoll(parts) >= 2);
  pg.psql(name,
          "CREATE TABLE records_20200101 PARTITION OF records FOR VALUES FROM ('2020-01-01') TO ('2020-01-02');"
          "INSERT INTO record_keys VALUES('gw-old', 'x', 1, '2020-01-01');"
          "INSERT INTO records VALUES(DEFAULT, 'gw-old', 'x', 1, 'scan', 'q', 0, 'b', 0, true, 0, 1577836800000, '2020-01-01',"
          " '{}', NULL)");
  BOOST_TEST(pending_records(pg, name) == 11);

  r.start({"--retain-days", "30"});
  BOOST_TEST_REQUIRE(eventually([&] { return r.log().find("receiver.retention_applied") != std::string::npos; }, 30s),
                     r.log());
  BOOST_TEST(pending_records(pg, name) == 10);
  BOOST_TEST(std::stoll(pg.psql(name, "SELECT count(*) FROM pg_class WHERE relname = 'records_20200101'")) == 0);
  BOOST_TEST(std::stoll(pg.psql(name, "SELECT count(*) FROM record_keys")) == 10);
}

BOOST_AUTO_TEST_CASE(a_slow_database_gets_503_with_retry_after_before_the_body_is_read) {
  auto& pg = shared_postgres();
  const auto name = pg.create_database();
  receiver_fixture r(pg.url(name));
  r.start({"--db-connections", "1", "--db-queue", "0"});
  {
    https_client c(r.options());
    auto rep = c.post("/v1/batches", seq_batch(1, 10));
    BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
    BOOST_TEST_REQUIRE(rep->status == 200u, rep->body);
  }
  // Another connection holds a lock every batch needs, until it is killed.
  const auto holder_out = r.dir() / "lock.out";
  process holder({"/usr/lib/postgresql/15/bin/psql", "-X", "-h", pg.socket_dir().native(), "-U", "ravao", "-d", name,
                  "-c", "BEGIN", "-c", "LOCK TABLE streams IN ACCESS EXCLUSIVE MODE", "-c", "SELECT pg_sleep(600)"},
                 holder_out, r.dir() / "lock.err");
  BOOST_TEST_REQUIRE(eventually([&] {
    return std::stoll(pg.psql(name, "SELECT count(*) FROM pg_locks WHERE relation = 'streams'::regclass"
                                    " AND mode = 'AccessExclusiveLock' AND granted")) == 1;
  }, 30s));

  // One batch waits for the lock (the pool's one connection, no queue);
  // every other batch is refused at once.
  unsigned waited = 0;
  std::jthread waiting([&] {
    auto o = r.options();
    o.timeout = 120s;
    https_client c(o);
    auto rep = c.post("/v1/batches", seq_batch(11, 20));
    waited = rep ? rep->status : 0;
  });
  BOOST_TEST_REQUIRE(eventually([&] { return std::stoll(pg.psql(name, "SELECT count(*) FROM pg_stat_activity"
                                                                      " WHERE wait_event_type = 'Lock'")) >= 1; },
                                30s));
  // Refused from their header: the body is never kept (it is read through
  // a fixed scratch buffer and discarded after the reply), so memory does
  // not follow the backlog, and the connection stays open: each retry costs
  // no new TLS handshake. (Not measured as RSS here: under ASan freed memory
  // is quarantined, not reused.)
  https_client c(r.options());
  const std::string big = seq_batch(100, 2099);
  for (int i = 0; i < 20; ++i) {
    auto rep = c.post("/v1/batches", big);
    BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
    BOOST_TEST(rep->status == 503u, rep->body);
    BOOST_TEST(rep->header("retry-after") == "2");
    BOOST_TEST(rep->header("connection") != "close");
    BOOST_TEST_REQUIRE(c.connected());  // the next post goes on the same connection
  }
  BOOST_TEST(r.log().find("receiver.overloaded") != std::string::npos);

  // The backend keeps its lock until it is ended (a killed psql would leave it sleeping).
  pg.psql(name, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep%'"
                " AND pid <> pg_backend_pid()");
  holder.signal(SIGTERM);
  waiting.join();
  BOOST_TEST(waited == 200u);
  // The retry, on the connection that was refused 20 times.
  BOOST_TEST_REQUIRE(c.connected());
  auto rep = c.post("/v1/batches", big);
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u, rep->body);
  BOOST_TEST(r.stored() == 2020);
}

namespace {

// The streams table locked by another session until released: every batch's
// transaction waits for it (the store pool's one connection held).
struct streams_lock {
  postgres_server& pg;
  std::string db;
  process holder;
  streams_lock(postgres_server& p, const std::string& name, const std::filesystem::path& dir)
      : pg(p), db(name),
        holder({"/usr/lib/postgresql/15/bin/psql", "-X", "-h", p.socket_dir().native(), "-U", "ravao", "-d", name,
                "-c", "BEGIN", "-c", "LOCK TABLE streams IN ACCESS EXCLUSIVE MODE", "-c", "SELECT pg_sleep(600)"},
               dir / "lock.out", dir / "lock.err") {
    BOOST_TEST_REQUIRE(eventually([&] {
      return std::stoll(pg.psql(db, "SELECT count(*) FROM pg_locks WHERE relation = 'streams'::regclass"
                                    " AND mode = 'AccessExclusiveLock' AND granted")) == 1;
    }, 30s));
  }
  bool someone_waits() {
    return std::stoll(pg.psql(db, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")) >= 1;
  }
  void release() {
    pg.psql(db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep%'"
                " AND pid <> pg_backend_pid()");
    holder.signal(SIGTERM);
  }
};

// Posts `bodies` at once, each on its own connection, while one batch holds
// the pool's only connection (blocked on `lock`) and --db-queue is exactly
// their number: a probe's 503 (its header alone; it never sends a body, so
// it takes no place) says every one of them is queued, then the lock is
// released. Their replies, in order.
std::vector<json::value> post_as_one_group(receiver_fixture& r, streams_lock& lock, const std::string& blocked,
                                           const std::vector<std::string>& bodies) {
  unsigned first_status = 0;
  std::jthread first([&] {
    auto o = r.options();
    o.timeout = 120s;
    https_client c(o);
    auto rep = c.post("/v1/batches", blocked);
    first_status = rep ? rep->status : 0;
  });
  BOOST_TEST_REQUIRE(eventually([&] { return lock.someone_waits(); }, 30s));
  std::vector<std::future<ravao::result<http_reply>>> replies;
  for (const auto& body : bodies) {
    replies.push_back(std::async(std::launch::async, [&r, &body] {
      auto o = r.options();
      o.timeout = 120s;
      https_client c(o);
      return c.post("/v1/batches", body);
    }));
  }
  const auto header = fmt::format("POST /v1/batches HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n"
                                  "Content-Type: application/json\r\nContent-Length: 100\r\n"
                                  "Expect: 100-continue\r\n\r\n", r.options().token);
  BOOST_TEST_REQUIRE(eventually([&] {
    https_client probe(r.options());
    if (!probe.send_raw(header)) return false;
    auto rep = probe.read_reply();
    return rep && rep->status == 503u;
  }, 60s));
  lock.release();
  std::vector<json::value> out;
  for (auto& f : replies) {
    auto rep = f.get();
    BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
    BOOST_TEST_REQUIRE(rep->status == 200u, rep->body);
    out.push_back(rep->json());
  }
  first.join();
  BOOST_TEST(first_status == 200u);
  return out;
}

}  // namespace

// Batches that wait together for the database are stored in one transaction;
// a batch already stored among them rolls that transaction back, and each is
// stored alone: the duplicate is counted, the others are not failed.
BOOST_AUTO_TEST_CASE(batches_waiting_together_are_committed_as_one_group_and_a_duplicate_among_them_fails_none) {
  auto& pg = shared_postgres();
  const auto name = pg.create_database();
  receiver_fixture r(pg.url(name));
  r.start({"--db-connections", "1", "--db-queue", "4", "--per-gateway-in-flight", "0", "--per-gateway-rate", "0"});
  {
    https_client c(r.options());
    auto rep = c.post("/v1/batches", seq_batch(1, 10));
    BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
    BOOST_TEST_REQUIRE(rep->status == 200u, rep->body);
  }
  {
    streams_lock lock(pg, name, r.dir() / "");
    auto replies = post_as_one_group(r, lock, seq_batch(11, 20),
                                     {seq_batch(21, 30), seq_batch(31, 40), seq_batch(41, 50), seq_batch(51, 60)});
    for (const auto& rep : replies) BOOST_TEST(num(rep, "accepted") == 10);
  }
  BOOST_TEST(r.logged("group=4"), r.log());
  BOOST_TEST(r.log().find("receiver.group_split") == std::string::npos, r.log());
  {
    streams_lock lock(pg, name, r.dir() / "");
    auto replies = post_as_one_group(r, lock, seq_batch(61, 70),
                                     {seq_batch(71, 80), seq_batch(1, 10), seq_batch(81, 90), seq_batch(91, 100)});
    BOOST_TEST(num(replies[0], "accepted") == 10);
    BOOST_TEST(num(replies[1], "accepted") == 0);
    BOOST_TEST(num(replies[1], "duplicates") == 10);
    BOOST_TEST(num(replies[2], "accepted") == 10);
    BOOST_TEST(num(replies[3], "accepted") == 10);
  }
  BOOST_TEST(r.logged("receiver.group_split"), r.log());
  BOOST_TEST(r.stored() == 100);
  BOOST_TEST(std::stoll(pg.psql(name, "SELECT count(*) FROM record_keys")) == 100);
  const auto s = r.stream_row();
  BOOST_TEST(num(s, "records") == 100);
  BOOST_TEST(num(s, "duplicates") == 10);
  BOOST_TEST(num(s, "highest_seq") == 100);
}

BOOST_AUTO_TEST_CASE(two_receivers_starting_at_once_bring_a_schema_2_database_to_schema_4_once) {
  auto& pg = shared_postgres();
  const auto name = pg.create_database();
  receiver_fixture r(pg.url(name));
  r.start();
  https_client c(r.options());
  auto rep = c.post("/v1/batches", seq_batch(1, 10));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST_REQUIRE(rep->status == 200u, rep->body);
  r.stop();
  // What the receiver made before schema 3: no site tables.
  pg.psql(name, "DROP TABLE site_gateways; DROP TABLE sites; UPDATE ravao_schema SET version = 2");
  const auto refused = receiver({"sites", "list", "--db", pg.url(name)});
  BOOST_TEST(refused.code == 1);
  BOOST_TEST(refused.err.find("schema 2: start ravao-receiver serve on it once to bring it to schema 4") !=
                 std::string::npos, refused.err);

  // A serve and a sites load (both open the database to write, migrating
  // it) started together, twice over: each waits for the other's migration
  // under the advisory lock, none fails.
  write_file(r.dir() / "s.csv", "site_id,name,commune,province,population\nx-1,Bưu điện X,Xã X,Tỉnh Y,100\n");
  receiver_fixture second(pg.url(name));
  std::vector<std::unique_ptr<process>> loads;
  for (int i = 0; i < 2; ++i) {
    loads.push_back(std::make_unique<process>(
        std::vector<std::string>{RAVAO_RECEIVER_PATH, "sites", "load", "--db", pg.url(name), (r.dir() / "s.csv").native()},
        r.dir() / fmt::format("load-{}.out", i), r.dir() / fmt::format("load-{}.err", i)));
  }
  r.start();
  second.start();
  for (std::size_t i = 0; i < loads.size(); ++i) {
    const auto st = loads[i]->wait(30s);
    BOOST_TEST_REQUIRE(st.has_value());
    BOOST_TEST(st->code == 0, read_file(r.dir() / fmt::format("load-{}.err", i)));
  }
  BOOST_TEST(std::stoll(pg.psql(name, "SELECT count(*) FROM ravao_schema")) == 1);
  BOOST_TEST(std::stoll(pg.psql(name, "SELECT max(version) FROM ravao_schema")) == 4);
  BOOST_TEST(std::stoll(pg.psql(name, "SELECT count(*) FROM sites")) == 1);
  BOOST_TEST(r.log().find("receiver.store_failed") == std::string::npos, r.log());
  // The records of schema 2 are still there and read.
  BOOST_TEST(r.records().size() == 10u);
  const auto list = json::parse(must_run({"sites", "list", "--db", pg.url(name), "--json"}).out).as_array();
  BOOST_TEST_REQUIRE(list.size() == 1u);
  BOOST_TEST(list[0].at("name").as_string() == "Bưu điện X");
}
