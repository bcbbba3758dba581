// The index pass's watermark with several receivers ingesting into one
// PostgreSQL at once (docs/tracing.md, "PostgreSQL"): a record id is taken
// from the sequence when the row is inserted but is seen only at commit, so
// an ingest transaction still open when a later one commits holds a lower id
// than rows already visible. The pass must not move its watermark past it.
//
// Real transactions on separate connections: the slow batch is held open
// inside pg_store's own insert transaction, after its rows are inserted, by
// a row lock this test holds on its gateway's row (the transaction's last
// statements update `gateways`).

#include <boost/test/unit_test.hpp>

#include <future>
#include <optional>
#include <utility>

#include "receiver/pg/connection.hpp"
#include "receiver/pg/pg_store.hpp"
#include "receiver/trace_index.hpp"
#include "support/harness.hpp"
#include "support/postgres_server.hpp"
#include "support/trace_records.hpp"

using namespace ravao;
using namespace ravao::test;
using namespace std::chrono_literals;
namespace rr = ravao::receiver;
namespace pg = ravao::receiver::pg;

namespace {

constexpr std::int64_t t0 = 1'796'086'800'000;  // 2026-12-01 08:00 +07:00
const trace_records::person slow_person{"001090000001", "Người Chậm", "0901"};
const trace_records::person fast_person{"001090000002", "Người Nhanh", "0902"};

std::int64_t count(pg::connection& c, const std::string& sql) {
  auto q = c.exec(sql);
  BOOST_TEST_REQUIRE(q.has_value(), (q ? "" : q.error().message()));
  return q->int64(0, 0);
}

// Rolls back `t` (when still open) at the end of the scope.
struct release_on_exit {
  std::optional<pg::transaction>& t;
  ~release_on_exit() { t.reset(); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_batch_committed_after_a_higher_id_is_indexed_not_skipped) {
  auto& pg = shared_postgres();
  const std::string url = pg.url(pg.create_database());
  temp_dir dir;
  const seal::key_pair keys = seal::generate();
  auto slow_store = rr::pg_store::open(url, rr::store_mode::serve, rr::insert_method::copy).value();
  auto fast_store = rr::pg_store::open(url, rr::store_mode::serve, rr::insert_method::copy).value();
  trace_records slow(*slow_store, keys.pub), fast(*fast_store, keys.pub);
  // gw-slow's row in `gateways` exists (its first batch), so that the test can lock it.
  slow.slip_issued("gw-slow", "quay-1", 9, 1, t0);
  BOOST_TEST_REQUIRE(slow.flush(t0).has_value());

  auto blocker = pg::connection::open(url).value();
  std::optional<pg::transaction> held = pg::transaction::begin(blocker).value();
  BOOST_TEST_REQUIRE(blocker.exec("SELECT 1 FROM gateways WHERE gateway = 'gw-slow' FOR UPDATE").has_value());

  // The slow batch: its rows inserted (ids taken), its transaction open,
  // waiting for the row lock.
  slow.opened("gw-slow", "quay-1", 1, slow_person, t0 + 60'000);
  auto slow_done = std::async(std::launch::async, [&] { return slow.flush(t0 + 120'000); });
  // Should a check below fail: the row lock is let go before the futures
  // wait for what waits on it.
  const release_on_exit release_slow{held};
  auto watcher = pg::connection::open(url).value();
  BOOST_TEST_REQUIRE(eventually([&] {
    return count(watcher, "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'") == 1;
  }, 30s));
  // A later batch through another receiver commits with higher ids.
  fast.opened("gw-fast", "quay-1", 1, fast_person, t0 + 60'000);
  BOOST_TEST_REQUIRE(fast.flush(t0 + 120'000).has_value());

  // The index pass waits for the open ingest transaction (the advisory
  // lock it holds shared) before it reads its bound.
  auto index = rr::trace_index::open(dir / "trace.db", rr::trace_keys::derive(keys)).value();
  auto source = rr::open_trace_source(url).value();
  auto pass = std::async(std::launch::async, [&] { return index->index(*source, keys); });
  const release_on_exit release_pass{held};
  BOOST_TEST_REQUIRE(eventually([&] {
    return count(watcher, "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'advisory'") == 1;
  }, 30s));
  BOOST_TEST((pass.wait_for(0s) == std::future_status::timeout));

  // The slow transaction commits; the pass goes on and takes its rows.
  BOOST_TEST_REQUIRE(std::exchange(held, std::nullopt)->commit().has_value());
  BOOST_TEST_REQUIRE((slow_done.wait_for(30s) == std::future_status::ready));
  BOOST_TEST_REQUIRE(slow_done.get().has_value());
  BOOST_TEST_REQUIRE((pass.wait_for(30s) == std::future_status::ready));
  const auto stats = pass.get();
  BOOST_TEST_REQUIRE(stats.has_value(), (stats ? "" : stats.error().message()));
  // The setup did what it says: the slow visit's id is below the fast one's.
  BOOST_TEST(count(watcher, "SELECT ((SELECT max(id) FROM records WHERE gateway = 'gw-slow')"
                            " < (SELECT min(id) FROM records WHERE gateway = 'gw-fast'))::int") == 1);
  for (const auto* p : {&slow_person, &fast_person}) {
    const auto visits = index->visits_of_person(index->person_of(p->id_number)).value();
    BOOST_TEST(visits.size() == 1u, p->name);
  }
  // Nothing is left for the next pass.
  BOOST_TEST(index->index(*source, keys).value().read == 0);
}

BOOST_AUTO_TEST_CASE(a_schema_3_database_is_refused_for_tracing_until_serve_adds_the_record_ids) {
  auto& pg = shared_postgres();
  const std::string name = pg.create_database(), url = pg.url(name);
  temp_dir dir;
  const seal::key_pair keys = seal::generate();
  {
    auto db = rr::pg_store::open(url, rr::store_mode::serve, rr::insert_method::copy).value();
    trace_records g(*db, keys.pub);
    g.opened("gw-a", "quay-1", 1, slow_person, t0);
    BOOST_TEST_REQUIRE(g.flush(t0 + 60'000).has_value());
  }
  // What the receiver made before tracing read PostgreSQL.
  pg.psql(name, "ALTER TABLE records DROP COLUMN id; UPDATE ravao_schema SET version = 3");
  const auto refused = rr::open_trace_source(url);
  BOOST_TEST_REQUIRE(!refused.has_value());
  BOOST_TEST(refused.error().message().find("schema 3: start ravao-receiver serve on it once to bring it to schema 4") !=
                 std::string::npos, refused.error().message());
  BOOST_TEST_REQUIRE(rr::pg_store::open(url, rr::store_mode::serve, rr::insert_method::copy).has_value());
  auto index = rr::trace_index::open(dir / "trace.db", rr::trace_keys::derive(keys)).value();
  auto source = rr::open_trace_source(url).value();
  BOOST_TEST(index->index(*source, keys).value().read == 1);
  BOOST_TEST(index->visits_of_person(index->person_of(slow_person.id_number)).value().size() == 1u);
}
