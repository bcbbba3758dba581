#pragma once
// A throw-away PostgreSQL 15 for tests (issue 15): initdb and pg_ctl from
// /usr/lib/postgresql/15/bin (not whatever is on PATH) into a temp folder,
// listening only on a unix socket in that folder (no TCP port, no system
// service). PostgreSQL refuses to run as root, and CI runs as root: then
// initdb and the server run as `nobody` (runuser), in a folder it owns.
// The server is stopped (pg_ctl stop -m immediate) and its folder removed at
// destruction.
//
// One server per test process (shared_postgres(): initdb costs ~2 s); each
// test case takes a fresh database of its own (create_database()).

#include <filesystem>
#include <string>
#include <string_view>

#include "support/harness.hpp"

namespace ravao::test {

class postgres_server {
 public:
  // Whether initdb, pg_ctl and postgres of PostgreSQL 15 are installed.
  static bool available();

  postgres_server();  // throws std::runtime_error with initdb's or pg_ctl's output
  ~postgres_server();
  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;

  // A new, empty database: its name.
  std::string create_database();
  // Its libpq URL: postgresql://ravao@/NAME?host=SOCKET_DIR.
  std::string url(std::string_view database) const;
  // Runs SQL with psql on `database` (as the superuser); psql's stdout.
  std::string psql(std::string_view database, std::string_view sql) const;
  std::filesystem::path socket_dir() const { return dir_.path(); }

 private:
  // `argv` as the server's user (nobody when we are root).
  run_result as_owner(std::vector<std::string> argv, std::chrono::milliseconds deadline) const;

  temp_dir dir_;
  bool as_nobody_ = false;
  int databases_ = 0;
};

// RAVAO_TEST_DB=postgresql: the ctest variants NAME_pg run the receiver
// against PostgreSQL instead of a SQLite file.
bool testing_postgresql();
// The process's one server, started at first use, stopped at exit. When
// PostgreSQL is wanted but not installed, the process exits with 77 (ctest:
// skipped).
postgres_server& shared_postgres();
// Where a test's receiver store goes: `file` (SQLite), or with
// RAVAO_TEST_DB=postgresql the URL of a fresh database of shared_postgres().
std::string receiver_store_location(const std::filesystem::path& file);
// Runs SQL on the store at `location` (a receiver_store_location: a SQLite
// file, or a database of shared_postgres()), as an operator would by hand;
// throws when it fails.
void execute_store_sql(const std::string& location, const std::string& sql);

}  // namespace ravao::test
