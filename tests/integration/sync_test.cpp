// Sync end to end: ravaod uploading to the real ravao-receiver over real
// mutual TLS on loopback (docs/sync-protocol.md), with the receiver's faults.
// Every scenario ends by checking the receiver's own count: every record the
// gateway wrote, stored once.

#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <fstream>
#include <optional>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "integration/common.hpp"
#include "support/backlog.hpp"
#include "support/https_client.hpp"
#include "support/receiver_process.hpp"

using namespace ravao::test;
namespace json = boost::json;

namespace {

std::string gateway_config(const receiver_under_test& r, std::string_view host = "localhost",
                           std::string_view sync_extra = "") {
  return three_counter_config(r.sync_section(host, sync_extra));
}

json::object sync_of(const daemon_under_test& d) { return d.ctl({"sync"}).as_object(); }

std::int64_t num(const json::object& o, std::string_view k) { return o.at(k).to_number<std::int64_t>(); }

void mark_clock_synced(const daemon_under_test& d) { write_file(d.dir() / "clock-synced", ""); }

// Waits until the gateway has nothing left to send. The uploader's view
// (`ravaoctl sync`) is refreshed when the store's writer tells it of a
// commit, which comes after the commit `ravaoctl status` already shows: it
// must first have seen the store's last record, or "nothing left" would hold
// before the last scans were looked at.
bool drained(const daemon_under_test& d, std::chrono::milliseconds deadline = 60s) {
  return eventually([&] {
    const auto last = num(d.ctl({"status"}).at("store").as_object(), "last_seq");
    const auto s = sync_of(d);
    return num(s, "last_seq") >= last && num(s, "depth") == 0 &&
           num(s, "acked_seq") + num(s, "dead_letters") >= last;
  }, deadline);
}

// The receiver holds exactly records 1..last_seq of the gateway, once each.
void check_exactly_once(const receiver_under_test& r, std::int64_t last_seq, std::int64_t missing = 0) {
  const auto st = r.stream_stats("bd-test");
  BOOST_TEST(num(st, "records") == last_seq - missing);
  BOOST_TEST(num(st, "highest_seq") == last_seq);
  BOOST_TEST(num(st, "streams") == 1);
}

// Scans `n` distinct visitors at the toggle counter; returns their IDs.
std::vector<std::string> scan_visitors(fake_serial_scanner& desk, int n, int first = 0) {
  std::vector<std::string> ids;
  for (int i = first; i < first + n; ++i) {
    ids.push_back(fmt::format("0010900{:05}", i));
    desk.send(cccd_payload(ids.back(), fmt::format("Trần Thị Bích {}", i)) + "\r");
  }
  return ids;
}

struct gateway {
  receiver_under_test& r;
  daemon_under_test d;
  fake_serial_scanner in{d.dir() / "tty-in"};
  fake_serial_scanner out{d.dir() / "tty-out"};
  fake_serial_scanner desk{d.dir() / "tty-desk"};
  gateway(receiver_under_test& rr, std::string config, bool synced = true) : r(rr), d(std::move(config)) {
    if (synced) mark_clock_synced(d);
    d.start();
    BOOST_TEST_REQUIRE(wait_state(d, "desk", "online"), d.log());
  }
};

// `cfg` with the path `from` (one of the receiver's PKI files) swapped for `to`.
std::string with_file(std::string cfg, const std::filesystem::path& from, const std::filesystem::path& to) {
  const auto at = cfg.find(from.native());
  BOOST_TEST_REQUIRE(at != std::string::npos, from.native());
  return cfg.replace(at, from.native().size(), to.native());
}

std::string bytes_of(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::exists(p, ec) ? read_file(p) : std::string();
}

}  // namespace

BOOST_AUTO_TEST_CASE(happy_path_seals_uploads_and_the_receiver_opens) {
  receiver_under_test r;
  r.start();
  gateway g(r, gateway_config(r));
  const auto ids = scan_visitors(g.desk, 5);
  g.desk.send("https://example.invalid/menu\r");  // a payload without identity: sealed too
  BOOST_TEST_REQUIRE(wait_records(g.d, 6), g.d.log());
  BOOST_TEST_REQUIRE(drained(g.d), g.d.log() + r.log());
  const auto s = sync_of(g.d);
  BOOST_TEST(as_str(s.at("state")) == "idle");
  BOOST_TEST(as_str(s.at("last_error")).empty());
  BOOST_TEST(num(s, "records_sent") == 6);
  check_exactly_once(r, 6);

  // The receiver opens what the gateway sealed: the real names and numbers.
  const auto recs = r.records("bd-test");
  BOOST_TEST_REQUIRE(recs.size() == 6u);
  for (int i = 0; i < 5; ++i) {
    const auto& rec = recs[static_cast<std::size_t>(i)].as_object();
    BOOST_TEST(as_str(rec.at("type")) == "visit_opened");
    BOOST_TEST_REQUIRE(rec.contains("opened"), json::serialize(rec));
    const auto& opened = rec.at("opened").as_object();
    BOOST_TEST(as_str(opened.at("id_number")) == ids[static_cast<std::size_t>(i)]);
    BOOST_TEST(as_str(opened.at("name")) == fmt::format("Trần Thị Bích {}", i));
    BOOST_TEST(as_str(rec.at("id_masked")) == "**********" + ids[static_cast<std::size_t>(i)].substr(10));
    BOOST_TEST(rec.at("clock_synced").as_bool());
  }
  BOOST_TEST(as_str(recs[5].at("opened").at("payload")) == "https://example.invalid/menu");

  // `sync now` answers with the same state; the table form names it in words.
  BOOST_TEST(num(g.d.ctl({"sync", "now"}).as_object(), "depth") == 0);
  const auto table = g.d.ctl_raw({"sync"});
  BOOST_TEST(table.code == 0);
  BOOST_TEST(table.out.find("0 records waiting") != std::string::npos, table.out);
  BOOST_TEST(g.d.ctl_raw({"sync", "later"}).code == 2);
  // A heartbeat reached the receiver too.
  BOOST_TEST(eventually([&] { return !sync_of(g.d).at("last_heartbeat_wall_ms").is_null(); }));

  // Nothing on the gateway can show more than the masks: not ravaoctl...
  const auto visits = g.d.ctl({"visits"});
  for (const auto& v : visits.as_array()) {
    BOOST_TEST(as_str(v.at("person_id")).starts_with("**********"));
    BOOST_TEST(as_str(v.at("person_name")).find("Bích") == std::string::npos);
  }
  // ...nor the database file, its WAL or the log, in any form we can think of.
  g.d.stop();
  const std::string db = bytes_of(g.d.store_path()) + bytes_of(g.d.store_path().native() + "-wal") +
                         bytes_of(g.d.store_path().native() + "-shm");
  const std::string logged = g.d.log();
  BOOST_TEST_REQUIRE(db.size() > 4096u);
  for (const std::string needle : {"Trần Thị Bích", "TRẦN THỊ BÍCH", "Tra\xcc\x82\xcc\x80n",  // NFC, upper, NFD
                                   "Tran Thi Bich", "TRAN THI BICH", "Bích", "example.invalid"}) {
    BOOST_TEST(db.find(needle) == std::string::npos, "database holds " << needle);
    BOOST_TEST(logged.find(needle) == std::string::npos, "log holds " << needle);
  }
  for (const auto& id : ids) {
    BOOST_TEST(db.find(id) == std::string::npos, "database holds " << id);
    BOOST_TEST(db.find(id.substr(2, 8)) == std::string::npos, "database holds part of " << id);
    BOOST_TEST(logged.find(id) == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(lost_acks_errors_resets_401_and_429_lose_nothing_and_duplicate_nothing) {
  receiver_under_test r;
  r.start({"--fault", "lost-ack:3", "--fault", "error-rate:0.3:7", "--fault", "reset-mid-body:2", "--fault",
           "unauthorized-once", "--fault", "throttle:2:1"});
  gateway g(r, gateway_config(r, "localhost", "batch_max_records = 3"));
  scan_visitors(g.desk, 20);
  BOOST_TEST_REQUIRE(wait_records(g.d, 20), g.d.log());
  BOOST_TEST_REQUIRE(drained(g.d, 120s), g.d.log() + r.log());
  check_exactly_once(r, 20);
  const auto st = r.stream_stats("bd-test");
  BOOST_TEST(num(st, "duplicates") >= 3);  // each lost ack: the batch came again
  const auto s = sync_of(g.d);
  BOOST_TEST(num(s, "records_sent") >= 20);
  BOOST_TEST(!as_str(s.at("last_error")).empty());  // the failures were seen and reported
  BOOST_TEST(g.d.count_log("sync.failed") >= 1u);
}

BOOST_AUTO_TEST_CASE(wrong_ca_or_wrong_host_name_sends_nothing_and_says_why) {
  receiver_under_test r;
  r.start();
  {
    // The server's certificate does not chain to the configured CA.
    gateway g(r, with_file(gateway_config(r), r.pki("ca.pem"), r.pki("other-ca.pem")));
    scan_visitors(g.desk, 2);
    BOOST_TEST_REQUIRE(eventually([&] { return num(sync_of(g.d), "consecutive_failures") > 0; }), g.d.log());
    const auto s = sync_of(g.d);
    BOOST_TEST(as_str(s.at("last_error")).find("certificate") != std::string::npos, as_str(s.at("last_error")));
    BOOST_TEST(num(s, "depth") == 2);
    const auto alarms = g.d.ctl({"status"}).at("alarms");
    BOOST_TEST(json::serialize(alarms).find("certificate") != std::string::npos);
  }
  {
    // The right CA, but the certificate is for another host than the URL's.
    receiver_under_test elsewhere({"other.example"}, {"192.0.2.1"});
    elsewhere.start();
    gateway g(elsewhere, gateway_config(elsewhere));
    scan_visitors(g.desk, 1);
    BOOST_TEST_REQUIRE(eventually([&] { return num(sync_of(g.d), "consecutive_failures") > 0; }), g.d.log());
    const auto err = as_str(sync_of(g.d).at("last_error"));
    BOOST_TEST(err.find("mismatch") != std::string::npos, err);
    BOOST_TEST(num(elsewhere.stream_stats("bd-test"), "records") == 0);
  }
  BOOST_TEST(num(r.stream_stats("bd-test"), "records") == 0);
}

BOOST_AUTO_TEST_CASE(sync_that_cannot_start_leaves_the_counters_recording_and_says_why) {
  // A client key that does not belong to the client certificate: the TLS
  // context cannot be made. (In the field: a key the user ravao cannot read.)
  receiver_under_test r;
  r.start();
  gateway g(r, with_file(gateway_config(r), r.pki("client.key"), r.pki("server.key")));
  scan_visitors(g.desk, 2);
  BOOST_TEST_REQUIRE(eventually([&] { return g.d.ctl({"visits"}).as_array().size() == 2; }), g.d.log());
  const auto alarms = json::serialize(g.d.ctl({"status"}).at("alarms"));
  BOOST_TEST(alarms.find("sync could not start") != std::string::npos, alarms);
  BOOST_TEST(g.d.log().find("sync.unavailable") != std::string::npos);
  BOOST_TEST(num(r.stream_stats("bd-test"), "records") == 0);
}

// The store's writer tells the uploader of each commit; idle, the uploader
// sleeps until then (it never polls the store), so a record committed while
// it is idle goes out on that notice: batch_delay 0 sends it at once, and
// the next heartbeat is an hour away. `woken_by_commit` shows the path.
BOOST_AUTO_TEST_CASE(a_record_committed_while_the_uploader_is_idle_is_uploaded_on_the_commits_notice) {
  receiver_under_test r;
  r.start();
  std::string cfg = gateway_config(r, "localhost", "heartbeat_seconds = 3600");
  cfg.replace(cfg.find("batch_delay_ms = 50"), 19, "batch_delay_ms = 0");
  gateway g(r, cfg);
  scan_visitors(g.desk, 1);
  BOOST_TEST_REQUIRE(wait_records(g.d, 1), g.d.log());
  BOOST_TEST_REQUIRE(drained(g.d), g.d.log() + r.log());
  BOOST_TEST_REQUIRE(eventually([&] { return as_str(sync_of(g.d).at("state")) == "idle"; }), g.d.log());
  const auto woken = num(sync_of(g.d), "woken_by_commit");
  BOOST_TEST(woken >= 1);  // the first record came the same way

  scan_visitors(g.desk, 1, 1);
  BOOST_TEST_REQUIRE(wait_records(g.d, 2), g.d.log());
  BOOST_TEST_REQUIRE(drained(g.d), g.d.log() + r.log());
  const auto s = sync_of(g.d);
  BOOST_TEST(num(s, "woken_by_commit") > woken);
  BOOST_TEST(num(s, "records_sent") == 2);
  check_exactly_once(r, 2);
}

BOOST_AUTO_TEST_CASE(no_connection_before_the_clock_is_synchronised) {
  receiver_under_test r;
  r.start();
  gateway g(r, gateway_config(r), /*synced=*/false);
  scan_visitors(g.desk, 2);
  BOOST_TEST_REQUIRE(wait_records(g.d, 2));
  BOOST_TEST_REQUIRE(eventually([&] { return as_str(sync_of(g.d).at("state")) == "waiting_for_clock"; }));
  BOOST_TEST(json::serialize(g.d.ctl({"status"}).at("alarms")).find("synchronised clock") != std::string::npos);
  BOOST_TEST(num(r.stream_stats("bd-test"), "records") == 0);
  mark_clock_synced(g.d);
  BOOST_TEST_REQUIRE(drained(g.d), g.d.log());
  check_exactly_once(r, 2);
}

BOOST_AUTO_TEST_CASE(a_poison_record_is_dead_lettered_and_the_rest_flows) {
  receiver_under_test r;
  r.start();
  std::filesystem::path store;
  {
    gateway g(r, gateway_config(r, "localhost", "batch_max_records = 4"));
    scan_visitors(g.desk, 3);
    BOOST_TEST_REQUIRE(drained(g.d), g.d.log());
    g.d.stop();
    // A record no server accepts (a type from nowhere), as a bug or a bad
    // migration could leave behind, between good ones.
    sqlite3* db = nullptr;
    BOOST_TEST_REQUIRE(sqlite3_open(g.d.store_path().c_str(), &db) == SQLITE_OK);
    BOOST_TEST_REQUIRE(sqlite3_exec(db,
                                    "INSERT INTO records(seq,type,counter_id,wall_ms,boot_id,boottime_ns,clock_synced) "
                                    "VALUES (4,'no_such_type','desk',1,'x',1,1)",
                                    nullptr, nullptr, nullptr) == SQLITE_OK, sqlite3_errmsg(db));
    sqlite3_close(db);
    g.d.start();
    BOOST_TEST_REQUIRE(wait_state(g.d, "desk", "online"));
    scan_visitors(g.desk, 4, 100);
    BOOST_TEST_REQUIRE(wait_records(g.d, 8), g.d.log());
    BOOST_TEST_REQUIRE(drained(g.d), g.d.log() + r.log());
    const auto s = sync_of(g.d);
    BOOST_TEST(num(s, "dead_letters") == 1);
    const auto& dead = s.at("dead_letter_list").as_array();
    BOOST_TEST_REQUIRE(dead.size() == 1u);
    BOOST_TEST(num(dead[0].as_object(), "seq") == 4);
    BOOST_TEST(g.d.count_log("sync.dead_letter") >= 1u);
    check_exactly_once(r, 8, /*missing=*/1);
  }
}

BOOST_AUTO_TEST_CASE(kill_9_during_uploads_twenty_times_leaves_exactly_the_acknowledged_records_once) {
  receiver_under_test r;
  r.start({"--fault", "delay-ms:30"});
  gateway g(r, gateway_config(r, "localhost", "batch_max_records = 5"));
  std::mt19937 rng(42);
  int scanned = 0;
  for (int round = 0; round < 20; ++round) {
    scan_visitors(g.desk, 8, scanned);
    scanned += 8;
    BOOST_TEST_REQUIRE(wait_records(g.d, static_cast<std::size_t>(scanned)), g.d.log());
    // Kill it somewhere in the middle of an upload.
    const auto before = num(r.stream_stats("bd-test"), "records");
    eventually([&] { return num(r.stream_stats("bd-test"), "records") > before; }, 5s);
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 40));
    g.d.proc().signal(9);
    g.d.wait_exit(10s);
    g.d.start();
    BOOST_TEST_REQUIRE(wait_state(g.d, "desk", "online"), g.d.log());
  }
  BOOST_TEST_REQUIRE(drained(g.d, 120s), g.d.log() + r.log());
  const auto s = sync_of(g.d);
  BOOST_TEST(num(s, "acked_seq") == num(s, "last_seq"));
  check_exactly_once(r, num(s, "last_seq"));
  BOOST_TEST(num(s, "last_seq") >= scanned);
}

BOOST_AUTO_TEST_CASE(a_200000_record_backlog_drains_with_memory_bounded) {
  receiver_under_test r;
  r.start();
  // ASan keeps freed memory in quarantine (256 MiB by default): a small
  // quarantine makes resident memory show what the uploader holds.
  std::string cfg = gateway_config(r, "localhost", "batch_max_records = 5000\nbatch_max_kilobytes = 4096");
  cfg.replace(cfg.find("retention_days = 30"), 19, "retention_days = 30\nalarm_megabytes = 1");
  daemon_under_test d(cfg,
                      {{"ASAN_OPTIONS", "quarantine_size_mb=4:detect_leaks=0"}});
  fake_serial_scanner in{d.dir() / "tty-in"}, out{d.dir() / "tty-out"}, desk{d.dir() / "tty-desk"};
  constexpr std::int64_t backlog = 200'000;
  fill_backlog(d.store_path(), backlog, r.public_key());
  d.start();  // clock not synchronised yet: nothing moves
  BOOST_TEST_REQUIRE(eventually([&] { return as_str(sync_of(d).at("state")) == "waiting_for_clock"; }), d.log());
  const auto idle_kib = vm_hwm_kib(d.proc().pid());
  BOOST_TEST(num(sync_of(d), "depth") == backlog);
  // A store past [store] alarm_megabytes raises the alarm (nothing is deleted).
  BOOST_TEST_REQUIRE(eventually([&] { return sync_of(d).at("store_alarm").as_bool(); }), d.log());
  BOOST_TEST(json::serialize(d.ctl({"status"}).at("alarms")).find("alarm_megabytes") != std::string::npos);
  BOOST_TEST(d.count_log("store.alarm") == 1u);
  mark_clock_synced(d);
  BOOST_TEST_REQUIRE(drained(d, 600s), d.log() + r.log());
  const auto peak_kib = vm_hwm_kib(d.proc().pid());
  BOOST_TEST_MESSAGE("ravaod VmHWM idle " << idle_kib << " KiB, after draining " << backlog << " records " << peak_kib
                                          << " KiB");
  // Holding the backlog would take well over 100 MiB (JSON of 200,000
  // records); one batch of at most 4 MiB (plus its gzip) is what may be held.
  BOOST_TEST(peak_kib - idle_kib < 48 * 1024, "grew by " << (peak_kib - idle_kib) << " KiB");
  check_exactly_once(r, backlog);
}


BOOST_AUTO_TEST_CASE(a_bearer_token_from_a_private_file_is_sent_and_never_shown) {
  receiver_under_test r;
  const std::string token = "tok-3f9c2a7e51d04b8c9a6e";
  write_file(r.dir() / "tokens", "bd-test " + token + "\n");
  r.start({"--tokens", (r.dir() / "tokens").native()});
  temp_dir secrets;
  const auto token_file = secrets / "token";
  write_file(token_file, token + "\n");
  std::filesystem::permissions(token_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  gateway g(r, gateway_config(r, "localhost", "token_file = \"" + token_file.native() + "\""));
  scan_visitors(g.desk, 3);
  BOOST_TEST_REQUIRE(wait_records(g.d, 3), g.d.log());
  BOOST_TEST_REQUIRE(drained(g.d), g.d.log() + r.log());
  check_exactly_once(r, 3);
  BOOST_TEST(json::serialize(g.d.ctl({"sync"})).find(token) == std::string::npos);
  BOOST_TEST(json::serialize(g.d.ctl({"status"})).find(token) == std::string::npos);
  BOOST_TEST(g.d.log().find(token) == std::string::npos);
  BOOST_TEST(r.log().find(token) == std::string::npos);
  // A token file others may read is refused by the configuration check.
  std::filesystem::permissions(token_file, std::filesystem::perms::group_read, std::filesystem::perm_options::add);
  const auto check = run({RAVAOD_PATH, "--check-config", g.d.config_path().native()});
  BOOST_TEST(check.code != 0);
  BOOST_TEST(check.out.find("chmod 600") != std::string::npos, check.out);
}

// Issue 18, finding 1: a forger holding this gateway's credentials (or a
// store that reused its stream) sends other content under the gateway's next
// seq first. The genuine record is then answered 409, never acknowledged as
// a duplicate: the gateway keeps it (retention only deletes what is
// acknowledged), raises an alarm, and sends it again with backoff until the
// province removes the forged row.
BOOST_AUTO_TEST_CASE(audit_1_a_forged_record_sent_first_is_a_conflict_the_gateway_keeps_its_records) {
  receiver_under_test r;
  r.start();
  gateway g(r, gateway_config(r), /*synced=*/false);
  scan_visitors(g.desk, 2);
  BOOST_TEST_REQUIRE(wait_records(g.d, 2), g.d.log());
  const std::string stream(sync_of(g.d).at("stream").as_string());  // the uploader read it at start
  BOOST_TEST_REQUIRE(!stream.empty());

  https_options o;
  o.port = static_cast<unsigned short>(r.port());
  o.ca_file = r.pki("ca.pem");
  o.client_cert = r.pki("client.pem");
  o.client_key = r.pki("client.key");
  https_client forger(o);
  const json::object forged{{"protocol", 1},
                            {"gateway", "bd-test"},
                            {"stream", stream},
                            {"sent", {{"wall_ms", 1'795'420'800'000}, {"boot_id", "forged"}, {"boottime_ns", 1}, {"clock_synced", true}}},
                            {"records", json::array{json::object{{"seq", 1}, {"type", "visit_opened"}, {"counter", "desk"},
                                                                 {"name_masked", "KẺ GIẢ MẠO"}, {"wall_ms", 1'795'420'700'000},
                                                                 {"boot_id", "forged"}, {"boottime_ns", 1},
                                                                 {"clock_synced", true}}}}};
  auto rep = forger.post("/v1/batches", json::serialize(forged));
  BOOST_TEST_REQUIRE(rep.has_value(), (rep ? std::string() : rep.error().message()));
  BOOST_TEST_REQUIRE(rep->status == 200u, rep->body);

  mark_clock_synced(g.d);
  BOOST_TEST_REQUIRE(eventually([&] { return !sync_of(g.d).at("conflict_seqs").as_array().empty(); }),
                     g.d.log() + r.log());
  BOOST_TEST_REQUIRE(eventually([&] { return g.d.count_log("sync.record_conflict") >= 1u; }), g.d.log());
  auto s = sync_of(g.d);
  BOOST_TEST(json::serialize(s.at("conflict_seqs")) == "[1]");
  BOOST_TEST(num(s, "acked_seq") == 0);  // nothing acknowledged: retention keeps both records
  BOOST_TEST(num(s, "depth") == 2);
  BOOST_TEST(as_str(s.at("last_error")).find("HTTP 409") != std::string::npos, as_str(s.at("last_error")));
  const auto alarms = json::serialize(g.d.ctl({"status"}).at("alarms"));
  BOOST_TEST(alarms.find("CONFLICT") != std::string::npos, alarms);
  const auto text = g.d.ctl_raw({"sync"}).out;
  BOOST_TEST(text.find("ALARM:         CONFLICT") != std::string::npos, text);
  BOOST_TEST(r.log().find("receiver.record_conflict") != std::string::npos);
  // It is sent again (with backoff), and refused again: still nothing acknowledged.
  BOOST_TEST_REQUIRE(eventually([&] { return num(sync_of(g.d), "consecutive_failures") >= 2; }), g.d.log());
  BOOST_TEST(num(sync_of(g.d), "acked_seq") == 0);
  BOOST_TEST(r.records("bd-test").size() == 1u);  // the forged one only

  // The province investigates and removes the forged row: the next attempt
  // stores the genuine records and the alarm clears.
  r.execute_sql("DELETE FROM records WHERE gateway = 'bd-test' AND seq = 1");
  BOOST_TEST_REQUIRE(drained(g.d), g.d.log() + r.log());
  s = sync_of(g.d);
  BOOST_TEST(s.at("conflict_seqs").as_array().empty());
  BOOST_TEST(g.d.count_log("sync.conflict_resolved") == 1u);
  BOOST_TEST(json::serialize(g.d.ctl({"status"}).at("alarms")).find("CONFLICT") == std::string::npos);
  const auto recs = r.records("bd-test");
  BOOST_TEST_REQUIRE(recs.size() == 2u);
  for (const auto& rec : recs) BOOST_TEST(as_str(rec.at("opened").at("name")).starts_with("Trần Thị Bích"));
}

BOOST_AUTO_TEST_CASE(the_actor_of_a_staff_action_reaches_the_province_and_scans_have_none) {
  receiver_under_test r;
  r.start();
  gateway g(r, gateway_config(r));
  scan_visitors(g.desk, 1);
  BOOST_TEST_REQUIRE(wait_records(g.d, 1), g.d.log());
  // A proxy declaration through ravaoctl: the actor is this user.
  g.d.ctl({"declare", "--counter", "desk", "name=Trần Thị Bích 0", "phone=0912345678"});
  BOOST_TEST_REQUIRE(wait_records(g.d, 2), g.d.log());
  BOOST_TEST_REQUIRE(drained(g.d), g.d.log() + r.log());
  const auto recs = r.records("bd-test");
  BOOST_TEST_REQUIRE(recs.size() == 2u);
  BOOST_TEST(!recs[0].as_object().contains("actor"));
  const std::string actor = as_str(recs[1].at("actor"));
  BOOST_TEST(actor.starts_with("unix:"), actor);
  // The receiver keeps it in its own column: `records --actor` finds it, and its text form shows it.
  const auto mine = run({RAVAO_RECEIVER_PATH, "records", "--db", r.db_arg(), "--actor", actor});
  BOOST_TEST(mine.code == 0, mine.err);
  BOOST_TEST(mine.out.find("declaration") != std::string::npos, mine.out);
  BOOST_TEST(mine.out.find("actor=" + actor) != std::string::npos, mine.out);
  BOOST_TEST(mine.out.find("visit_opened") == std::string::npos, mine.out);
}

// A receiver older than the gateway does not know a record type and refuses
// those records with 422 "unknown record type" (here made so with the
// receiver's unknown-type fault): the gateway holds them, never deletes
// them, lets the rest of the stream flow and names the type in an alarm;
// once the province upgrades its receiver, the resend after a heartbeat
// stores them, and the alarm clears.
BOOST_AUTO_TEST_CASE(records_of_a_type_an_older_receiver_does_not_know_are_held_then_stored_after_its_upgrade) {
  receiver_under_test r;
  r.start({"--fault", "unknown-type:declaration"});
  gateway g(r, gateway_config(r, "localhost", "heartbeat_seconds = 5"));
  scan_visitors(g.desk, 1);
  BOOST_TEST_REQUIRE(wait_records(g.d, 1), g.d.log());
  g.d.ctl({"declare", "--counter", "desk", "name=Trần Thị Bích 0", "phone=0912345678"});
  BOOST_TEST_REQUIRE(wait_records(g.d, 2), g.d.log());
  scan_visitors(g.desk, 1, 1);
  BOOST_TEST_REQUIRE(wait_records(g.d, 3), g.d.log());
  BOOST_TEST_REQUIRE(drained(g.d), g.d.log() + r.log());
  const auto held = sync_of(g.d);
  BOOST_TEST(num(held, "held") == 1);
  BOOST_TEST(json::serialize(held.at("held_types")) == R"(["declaration"])");
  const auto held_alarm = [&] {
    const auto alarms = g.d.ctl({"status"}).at("alarms").as_array();
    for (const auto& a : alarms)
      if (a.at("code").as_string() == "sync.held") return std::optional<json::object>(a.as_object());
    return std::optional<json::object>();
  };
  const auto alarm = held_alarm();
  BOOST_TEST_REQUIRE(alarm.has_value(), g.d.log());
  BOOST_TEST(as_str(alarm->at("message")).find("declaration") != std::string::npos, json::serialize(*alarm));
  BOOST_TEST(!as_str(alarm->at("message_vi")).empty());
  BOOST_TEST(g.d.count_log("sync.record_type_unknown") >= 1u);
  {
    // The rest flowed past the held record: 1 and 3 are at the province.
    const auto st = r.stream_stats("bd-test");
    BOOST_TEST(num(st, "records") == 2);
    BOOST_TEST(num(st, "highest_seq") == 3);
  }

  r.start();  // the province's upgrade: the same database, no fault
  BOOST_TEST_REQUIRE(eventually([&] { return num(sync_of(g.d), "held") == 0; }, 60s), g.d.log() + r.log());
  BOOST_TEST(g.d.count_log("sync.held_stored") >= 1u);
  BOOST_TEST(num(sync_of(g.d), "dead_letters") == 0);
  BOOST_TEST(!held_alarm().has_value());
  check_exactly_once(r, 3);
  const auto recs = r.records("bd-test");
  BOOST_TEST_REQUIRE(recs.size() == 3u);
  BOOST_TEST(as_str(recs[1].at("type")) == "declaration");
  BOOST_TEST(as_str(recs[1].at("actor")).starts_with("unix:"));
}
