#include "support/postgres_server.hpp"

#include <pwd.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

namespace ravao::test {
namespace fs = std::filesystem;

namespace {

const fs::path bin = "/usr/lib/postgresql/15/bin";

}  // namespace

bool postgres_server::available() {
  std::error_code ec;
  for (const auto* tool : {"initdb", "pg_ctl", "postgres", "createdb", "psql"}) {
    if (!fs::exists(bin / tool, ec)) return false;
  }
  return true;
}

run_result postgres_server::as_owner(std::vector<std::string> argv, std::chrono::milliseconds deadline) const {
  if (as_nobody_) argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "nobody", "--"});
  return run(argv, deadline);
}

postgres_server::postgres_server() {
  as_nobody_ = ::geteuid() == 0;
  if (as_nobody_) {
    const passwd* nobody = ::getpwnam("nobody");
    if (!nobody) throw std::runtime_error("PostgreSQL refuses root, and there is no user nobody to run it as");
    if (::chown(dir_.path().c_str(), nobody->pw_uid, nobody->pw_gid) != 0) {
      throw std::runtime_error("cannot give " + dir_.path().native() + " to nobody");
    }
  }
  const auto data = dir_ / "data";
  auto init = as_owner({(bin / "initdb").native(), "-D", data.native(), "-A", "trust", "-U", "ravao", "-E", "UTF8",
                        "--locale=C", "--no-sync", "--no-instructions"},
                       60s);
  if (init.code != 0) throw std::runtime_error("initdb failed: " + init.out + init.err);
  // fsync off: a test server's data is thrown away (docs/province-scale.md
  // measures with it on).
  const auto options = fmt::format("-k {} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
                                   " -c full_page_writes=off -c max_connections=200",
                                   dir_.path().native());
  auto start = as_owner({(bin / "pg_ctl").native(), "-D", data.native(), "-l", (dir_ / "server.log").native(), "-w",
                         "-t", "60", "-o", options, "start"},
                        90s);
  if (start.code != 0) {
    throw std::runtime_error("pg_ctl start failed: " + start.out + start.err + read_file(dir_ / "server.log"));
  }
}

postgres_server::~postgres_server() {
  (void)as_owner({(bin / "pg_ctl").native(), "-D", (dir_ / "data").native(), "-m", "immediate", "-w", "stop"}, 30s);
}

std::string postgres_server::url(std::string_view database) const {
  return fmt::format("postgresql://ravao@/{}?host={}", database, dir_.path().native());
}

std::string postgres_server::create_database() {
  const auto name = fmt::format("test_{}", ++databases_);
  auto made = run({(bin / "createdb").native(), "-h", dir_.path().native(), "-U", "ravao", name}, 30s);
  if (made.code != 0) throw std::runtime_error("createdb failed: " + made.out + made.err);
  return name;
}

std::string postgres_server::psql(std::string_view database, std::string_view sql) const {
  auto r = run({(bin / "psql").native(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", dir_.path().native(),
                "-U", "ravao", "-d", std::string(database), "-c", std::string(sql)},
               60s);
  if (r.code != 0) throw std::runtime_error("psql failed: " + r.out + r.err);
  return r.out;
}

bool testing_postgresql() {
  const char* v = std::getenv("RAVAO_TEST_DB");
  return v && std::string_view(v) == "postgresql";
}

postgres_server& shared_postgres() {
  static std::unique_ptr<postgres_server> server;
  if (!server) {
    if (!postgres_server::available()) {
      std::fprintf(stderr, "PostgreSQL 15 is not installed (%s): skipped\n", bin.c_str());
      std::exit(77);
    }
    server = std::make_unique<postgres_server>();
  }
  return *server;
}

std::string receiver_store_location(const std::filesystem::path& file) {
  if (!testing_postgresql()) return file.native();
  auto& pg = shared_postgres();
  return pg.url(pg.create_database());
}

void execute_store_sql(const std::string& location, const std::string& sql) {
  if (location.starts_with("postgresql://")) {
    // postgresql://ravao@/DATABASE?host=... (url() above)
    const auto from = location.find("@/") + 2, to = location.find('?', from);
    shared_postgres().psql(location.substr(from, to - from), sql);
    return;
  }
  sqlite3* db = nullptr;
  const bool opened = sqlite3_open(location.c_str(), &db) == SQLITE_OK;
  if (opened) sqlite3_busy_timeout(db, 5000);
  const bool done = opened && sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
  const std::string message = db ? sqlite3_errmsg(db) : "out of memory";
  sqlite3_close(db);
  if (!done) throw std::runtime_error(fmt::format("{}: {}", sql, message));
}

}  // namespace ravao::test
