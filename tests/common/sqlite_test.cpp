// common/sqlite.hpp: prepare and bind failures as results, the transaction
// as an object, on an in-memory database.

#include <boost/test/unit_test.hpp>

#include <stdexcept>

#include "common/sqlite.hpp"

using namespace ravao;

namespace {

struct memory_db {
  sqlite3* db = nullptr;
  memory_db() {
    BOOST_TEST_REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK);
    BOOST_TEST_REQUIRE(sql::exec(db, "CREATE TABLE t(x INTEGER NOT NULL)").has_value());
  }
  ~memory_db() { sqlite3_close_v2(db); }
  std::int64_t rows() const { return *sql::scalar(db, "SELECT COUNT(*) + 0 * ?1 FROM t"); }
  bool in_transaction() const { return sqlite3_get_autocommit(db) == 0; }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_statement_that_does_not_prepare_is_an_error_not_a_throw, memory_db) {
  auto st = sql::statement::prepare(db, "SELECT nothing FROM nowhere");
  BOOST_TEST_REQUIRE(!st.has_value());
  BOOST_TEST(st.error().context.find("nowhere") != std::string::npos, st.error().context);
  BOOST_TEST(!sql::scalar(db, "SELEC 1").has_value());
}

BOOST_FIXTURE_TEST_CASE(a_failed_bind_is_returned_by_run_and_forgotten_after, memory_db) {
  auto st = sql::statement::prepare(db, "INSERT INTO t(x) VALUES(?1)");
  BOOST_TEST_REQUIRE(st.has_value());
  // ?2 does not exist: SQLITE_RANGE, kept until run().
  auto r = st->bind(2, std::int64_t{7}).bind(1, std::int64_t{7}).run();
  BOOST_TEST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().context.find("bind ?2") != std::string::npos, r.error().context);
  BOOST_TEST(rows() == 0);
  BOOST_TEST(st->bind(1, std::int64_t{8}).run().has_value());
  BOOST_TEST(rows() == 1);
  // An empty statement refuses to run, without calling SQLite.
  sql::statement empty;
  BOOST_TEST(!empty.bind(1, std::int64_t{1}).run().has_value());
}

BOOST_FIXTURE_TEST_CASE(a_transaction_commits_only_when_told, memory_db) {
  {
    auto tx = sql::transaction::begin_immediate(db);
    BOOST_TEST_REQUIRE(tx.has_value());
    BOOST_TEST(sql::exec(db, "INSERT INTO t VALUES(1)").has_value());
    BOOST_TEST(tx->commit().has_value());
    BOOST_TEST(!in_transaction());
  }
  {
    auto tx = sql::transaction::begin_immediate(db);
    BOOST_TEST_REQUIRE(tx.has_value());
    BOOST_TEST(sql::exec(db, "INSERT INTO t VALUES(2)").has_value());
  }  // left without commit: rolled back
  BOOST_TEST(!in_transaction());
  BOOST_TEST(rows() == 1);
}

BOOST_FIXTURE_TEST_CASE(an_exception_inside_a_transaction_rolls_it_back, memory_db) {
  BOOST_CHECK_THROW(
      {
        auto tx = sql::transaction::begin_immediate(db);
        BOOST_TEST_REQUIRE(tx.has_value());
        BOOST_TEST(sql::exec(db, "INSERT INTO t VALUES(3)").has_value());
        throw std::runtime_error("a handler failed");
      },
      std::runtime_error);
  BOOST_TEST(!in_transaction());
  BOOST_TEST(rows() == 0);
  // The connection is usable: the next transaction begins.
  auto tx = sql::transaction::begin_immediate(db);
  BOOST_TEST(tx.has_value());
}

BOOST_FIXTURE_TEST_CASE(a_commit_that_fails_leaves_no_transaction_open, memory_db) {
  BOOST_TEST_REQUIRE(sql::exec(db, "CREATE TABLE p(id INTEGER PRIMARY KEY); "
                                   "CREATE TABLE c(p INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED); "
                                   "PRAGMA foreign_keys=ON").has_value());
  auto tx = sql::transaction::begin_immediate(db);
  BOOST_TEST_REQUIRE(tx.has_value());
  BOOST_TEST(sql::exec(db, "INSERT INTO c VALUES(42)").has_value());  // checked at COMMIT
  BOOST_TEST(!tx->commit().has_value());
  BOOST_TEST(!in_transaction());
  BOOST_TEST(*sql::scalar(db, "SELECT COUNT(*) + 0 * ?1 FROM c") == 0);
}
