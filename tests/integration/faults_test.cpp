// Faults end to end: kill -9 during bursts, reload with a bad config,
// corrupt store, full disk, and ravaoctl's errors.

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <grp.h>
#include <sys/wait.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <map>
#include <set>
#include <atomic>
#include <thread>

#include "integration/common.hpp"

#include <sqlite3.h>

#include "common/seal.hpp"

using namespace ravao::test;
namespace fs = std::filesystem;

namespace {

// seq -> counter of every scan acknowledged in the log
// ("scan.accepted: ... counter=C seq=N").
std::map<std::int64_t, std::string> acknowledged(const std::string& log) {
  std::map<std::int64_t, std::string> out;
  std::size_t pos = 0;
  while ((pos = log.find("scan.accepted: ", pos)) != std::string::npos) {
    const std::size_t eol = log.find('\n', pos);
    const std::string line = log.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    pos = eol == std::string::npos ? log.size() : eol;
    const auto c = line.find(" counter=");
    const auto q = line.find(" seq=");
    if (c == std::string::npos || q == std::string::npos || eol == std::string::npos) continue;
    const std::string counter = line.substr(c + 9, line.find(' ', c + 9) - (c + 9));
    out[std::stoll(line.substr(q + 5))] = counter;
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(kill_9_during_bursts_never_loses_an_acknowledged_scan) {
  // The payloads are sealed on the gateway: the test opens them as the
  // province would, with the secret half of the key.
  const auto keys = ravao::seal::generate();
  daemon_under_test d(three_counter_config("\n[sync]\npublic_key = \"" + ravao::seal::to_text(keys.pub) + "\"\n"));
  fake_serial_scanner in(d.dir() / "tty-in"), out(d.dir() / "tty-out"), desk(d.dir() / "tty-desk");
  std::vector<fake_serial_scanner*> scanners{&in, &out, &desk};
  std::map<std::int64_t, std::string> acked_total;
  int sent = 0;
  constexpr int rounds = 8;
  for (int round = 0; round < rounds; ++round) {
    d.start();
    // Three writers burst at once; the daemon is killed while they are still
    // writing, once it has acknowledged a few dozen more scans.
    std::atomic<bool> halt{false};
    std::atomic<int> written{0}, done{0};
    std::vector<std::thread> writers;
    for (std::size_t w = 0; w < scanners.size(); ++w) {
      writers.emplace_back([&, w] {
        for (int i = 0; i < 5000 && !halt; ++i) {
          scanners[w]->send("R" + std::to_string(round) + "-W" + std::to_string(w) + "-N" + std::to_string(i) + "\n");
          ++written;
        }
        ++done;
      });
    }
    const std::size_t before = acked_total.size();
    BOOST_TEST_REQUIRE(eventually([&] { return acknowledged(d.log()).size() >= before + 40 + 20 * round; }));
    d.proc().signal(SIGKILL);
    d.wait_exit();
    halt = true;
    // Writers blocked on a full pty are released by draining it.
    BOOST_TEST_REQUIRE(eventually([&] {
      for (auto* s : scanners) s->drain();
      return done == static_cast<int>(scanners.size());
    }));
    for (auto& t : writers) t.join();
    sent += written;
    const auto acked = acknowledged(d.log());
    acked_total.insert(acked.begin(), acked.end());
    for (auto* s : scanners) s->plug();
  }
  d.start();
  std::map<std::int64_t, std::string> present;
  std::set<std::string> payloads;
  std::int64_t expect_seq = 1;
  sqlite3* db = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_open_v2(d.store_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_prepare_v2(db, "SELECT seq, counter_id, sealed FROM records ORDER BY seq", -1, &st,
                                        nullptr) == SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    const auto seq = sqlite3_column_int64(st, 0);
    BOOST_TEST(seq == expect_seq++);  // gap-free after every crash
    present[seq] = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
    const std::string sealed(static_cast<const char*>(sqlite3_column_blob(st, 2)),
                             static_cast<std::size_t>(sqlite3_column_bytes(st, 2)));
    // Sealed in format 2 by the daemon (a window's key per restart at most).
    BOOST_TEST((ravao::seal::format_of(sealed) == ravao::seal::sealed_format::v2), "seq " << seq);
    const auto opened = ravao::seal::open(keys, sealed);
    BOOST_TEST_REQUIRE(opened.has_value(), "seq " << seq << ": " << (opened ? "" : opened.error().message()));
    const std::string p(boost::json::parse(*opened).at("payload").as_string());
    BOOST_TEST(payloads.insert(p).second, "payload stored twice: " << p);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  for (const auto& [seq, counter] : acked_total) {
    BOOST_TEST(present.contains(seq), "acknowledged seq " << seq << " lost");
    BOOST_TEST(present[seq] == counter, "seq " << seq << " was acknowledged for another counter");
  }
  BOOST_TEST(acked_total.size() >= static_cast<std::size_t>(rounds));
  BOOST_TEST(present.size() < static_cast<std::size_t>(sent));  // the kills did land mid-burst
  BOOST_TEST_MESSAGE("sent " << sent << ", acknowledged " << acked_total.size() << ", stored " << present.size());
}

BOOST_AUTO_TEST_CASE(sighup_reload_rejects_a_bad_config_and_applies_a_good_one) {
  daemon_under_test d(three_counter_config());
  fake_serial_scanner in(d.dir() / "tty-in"), out(d.dir() / "tty-out"), desk(d.dir() / "tty-desk");
  d.start();
  BOOST_TEST_REQUIRE(wait_state(d, "desk", "online"));
  const std::string good = read_file(d.config_path());

  // Broken: a counter naming a missing scanner. Rejected, old config runs on.
  write_file(d.config_path(), good + "\n[[counter]]\nid = \"extra\"\nname = \"X\"\nscanner = \"nope\"\nmode = \"entry\"\n");
  d.proc().signal(SIGHUP);
  BOOST_TEST_REQUIRE(eventually([&] { return d.count_log("config.reload_failed") == 1; }));
  BOOST_TEST(d.log().find("config.rejected") != std::string::npos);
  desk.send("STILL-WORKS\n");
  BOOST_TEST_REQUIRE(wait_records(d, 1));
  BOOST_TEST(d.ctl({"counters"}).as_array().size() == 3u);

  // Valid: a fourth counter appears; the others keep their open devices.
  fake_serial_scanner extra(d.dir() / "tty-extra");
  write_file(d.config_path(), good +
      "\n[[scanner]]\nid = \"s-extra\"\nkind = \"serial\"\ndevice = \"tty-extra\"\nbaud = 9600\n"
      "\n[[counter]]\nid = \"extra\"\nname = \"Quầy 4\"\nscanner = \"s-extra\"\nmode = \"toggle\"\n");
  desk.send("DURING-RELOAD\n");
  d.proc().signal(SIGHUP);
  BOOST_TEST_REQUIRE(eventually([&] { return d.count_log("config.reloaded") == 1; }));
  BOOST_TEST_REQUIRE(wait_state(d, "extra", "online"));
  extra.send("FROM-EXTRA\n");
  BOOST_TEST_REQUIRE(wait_records(d, 3));
  BOOST_TEST(d.log().find("kept=3") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_corrupt_store_is_moved_aside_and_shown_in_status) {
  daemon_under_test d(three_counter_config());
  fake_serial_scanner in(d.dir() / "tty-in"), out(d.dir() / "tty-out"), desk(d.dir() / "tty-desk");
  write_file(d.store_path(), std::string(64 * 1024, '\x5a'));
  d.start();
  auto status = d.ctl({"status"}).as_object();
  const std::string moved = as_str(status.at("store").at("recovered_from"));
  BOOST_TEST(!moved.empty());
  BOOST_TEST(fs::exists(moved));
  BOOST_TEST(read_file(moved) == std::string(64 * 1024, '\x5a'));  // kept intact
  BOOST_TEST(d.log().find("store.corrupt") != std::string::npos);
  BOOST_TEST(as_str(status.at("alarms")).find("corrupt") != std::string::npos);
  desk.send("FRESH\n");
  BOOST_TEST_REQUIRE(wait_records(d, 1));
}

BOOST_AUTO_TEST_CASE(a_full_disk_holds_scans_and_commits_them_when_space_returns) {
  temp_dir mnt;
  if (::geteuid() != 0 || ::mount("tmpfs", mnt.path().c_str(), "tmpfs", 0, "size=4m") != 0) {
    BOOST_TEST_MESSAGE("skipped: needs root to mount a small tmpfs (CI runs as root)");
    return;
  }
  struct unmount {
    const fs::path& p;
    ~unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } guard{mnt.path()};
  std::string cfg = three_counter_config();
  cfg.replace(cfg.find("{dir}/ravao.db"), 14, (mnt.path() / "ravao.db").string());
  daemon_under_test d(cfg);
  fake_serial_scanner in(d.dir() / "tty-in"), out(d.dir() / "tty-out"), desk(d.dir() / "tty-desk");
  d.start();
  desk.send("BEFORE\n");
  BOOST_TEST_REQUIRE(wait_records(d, 1), d.log());
  // Fill the filesystem.
  {
    const fs::path filler = mnt.path() / "filler";
    FILE* f = std::fopen(filler.c_str(), "wb");
    std::string block(64 * 1024, '\0');
    while (std::fwrite(block.data(), 1, block.size(), f) == block.size()) {}
    std::fclose(f);
  }
  for (int i = 0; i < 200; ++i) desk.send("FULL-" + std::to_string(i) + "-" + std::string(200, 'x') + "\n");
  BOOST_TEST_REQUIRE(eventually([&] { return d.count_log("store.unavailable") >= 1; }));
  auto status = d.ctl({"status"}).as_object();
  BOOST_TEST(!status.at("store").at("available").as_bool());
  BOOST_TEST(d.proc().running());
  fs::remove(mnt.path() / "filler");
  BOOST_TEST_REQUIRE(eventually([&] { return d.count_log("store.recovered") >= 1; }, std::chrono::seconds(30)));
  BOOST_TEST_REQUIRE(wait_records(d, 201));
  // No acknowledged scan lost, none doubled, and the store is sound.
  auto events = d.ctl({"events", "--limit", "100000"}).as_array();
  BOOST_TEST(events.size() == 201u);
  d.stop(SIGTERM);
  auto check = run({"/usr/bin/sqlite3", (mnt.path() / "ravao.db").string(), "PRAGMA integrity_check"});
  BOOST_TEST(check.out == "ok\n");
}

BOOST_AUTO_TEST_CASE(check_config_prints_file_line_errors) {
  temp_dir t;
  write_file(t / "bad.toml",
             "[site]\nid = \"BAD ID\"\nname = \"x\"\n\n[[scanner]]\nid = \"s1\"\nkind = \"serial\"\ndevice = \"/dev/ttyACM0\"\nbauds = 9600\n"
             "\n[[counter]]\nid = \"c1\"\nname = \"c\"\nscanner = \"s9\"\nmode = \"entry\"\n");
  auto r = run({RAVAOD_PATH, "--check-config", (t / "bad.toml").string()});
  BOOST_TEST(r.code == 1);
  const std::string file = (t / "bad.toml").string();
  BOOST_TEST(r.out.find(file + ":2: ") != std::string::npos, r.out);
  BOOST_TEST(r.out.find(file + ":9: ") != std::string::npos, r.out);
  BOOST_TEST(r.out.find(file + ":14: ") != std::string::npos, r.out);
  auto ok = run({RAVAOD_PATH, "--check-config", std::string(RAVAO_SOURCE_DIR) + "/config/ravao.example.toml"});
  BOOST_TEST(ok.code == 0, ok.out);
  BOOST_TEST(ok.out.empty());
}

BOOST_AUTO_TEST_CASE(ravaoctl_says_clearly_when_the_daemon_is_not_running_or_access_is_denied) {
  temp_dir t;
  auto r = run({RAVAOCTL_PATH, "--socket", (t / "none.sock").string(), "status"});
  BOOST_TEST(r.code == 3);
  BOOST_TEST(r.err.find("ravaod is not running") != std::string::npos, r.err);

  if (::geteuid() != 0) {
    BOOST_TEST_MESSAGE("skipped the permission half: needs root to run ravaoctl as another user");
    return;
  }
  daemon_under_test d(three_counter_config());
  fake_serial_scanner in(d.dir() / "tty-in"), out(d.dir() / "tty-out"), desk(d.dir() / "tty-desk");
  d.start();
  // The socket is 0660 root:root; "nobody" may traverse the folder but not connect.
  fs::permissions(d.dir().path(), fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
  const struct passwd* nobody = ::getpwnam("nobody");
  BOOST_TEST_REQUIRE(nobody != nullptr);
  write_file(d.dir() / "denied.err", "");
  fs::permissions(d.dir() / "denied.err", fs::perms::all);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setgroups(0, nullptr);
    ::setgid(nobody->pw_gid);
    ::setuid(nobody->pw_uid);
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    const int err = ::open((d.dir() / "denied.err").c_str(), O_WRONLY);
    ::dup2(err, 2);
    ::execl(RAVAOCTL_PATH, RAVAOCTL_PATH, "--socket", d.socket_path().c_str(), "status", nullptr);
    ::_exit(127);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  BOOST_TEST(WEXITSTATUS(st) == 4);
  BOOST_TEST(read_file(d.dir() / "denied.err").find("permission denied") != std::string::npos);
}
