// ravao-receiver sites, report weekly and fleet (issue 15, docs/weekly-report.md):
// a week of generated records and heartbeats from several gateways, sent
// through the real receiver over HTTPS, and every figure of the report
// checked against the counts the generator kept. Run on both engines
// (receiver_weekly_report_test_pg: PostgreSQL).

#include <chrono>
#include <map>
#include <set>

#include <sqlite3.h>

#include <boost/test/unit_test.hpp>
#include <fmt/chrono.h>

#include "common/sqlite.hpp"
#include "receiver/receiver_fixture.hpp"

using namespace ravao::test;

namespace {

// 2026-W49: Monday 2026-11-30 00:00 in Vietnam (UTC+7) = 2026-11-29T17:00:00Z.
constexpr std::int64_t week_start_ms = 1'795'971'600'000;
constexpr std::int64_t hour_ms = 3'600'000;
constexpr std::int64_t day_ms = 24 * hour_ms;

constexpr std::string_view site_csv =
    "site_id,name,commune,province,population,gateways\n"
    "hue-01,Bưu điện Thuận Hòa,Phường Thuận Hòa,Thừa Thiên Huế,300,gw-hue-1\n"
    "hue-02,Điểm Viettel Thuận Hòa,Phường Thuận Hòa,Thừa Thiên Huế,200,gw-hue-2\n"
    "kim-01,\"=HYPERLINK(\"\"http://x\"\",\"\"<b>y</b>\"\")\",Xã Đắk Mil,Thừa Thiên Huế,250,gw-kim\n"
    "never-01,Bưu điện Xã Mới,Xã Đắk Mil,Thừa Thiên Huế,100,gw-never\n";

// A receiver database of its own for the tests without a receiver: a file
// in `dir`, or (the _pg variant) a fresh PostgreSQL database; `name` is then
// the database's name, for psql.
struct fresh_db {
  explicit fresh_db(const temp_dir& dir)
      : name(testing_postgresql() ? shared_postgres().create_database() : std::string()),
        arg(name.empty() ? (dir / "r.db").native() : shared_postgres().url(name)) {}
  std::string name, arg;
};

// What the generator sent, per gateway: the report's figures as they must come out.
struct expected {
  std::array<std::int64_t, 7> visits_by_day{};
  std::int64_t declarations = 0, proxy = 0, issued = 0, returned = 0;
  std::set<std::string> deployed, active;
  std::int64_t visits() const {
    std::int64_t n = 0;
    for (const auto v : visits_by_day) n += v;
    return n;
  }
};

class week_generator {
 public:
  explicit week_generator(std::string gateway) : gateway_(std::move(gateway)) {}

  // A record at `at_ms` (synchronised clock) on `counter`; counted when in the week.
  void add(std::string_view type, std::string_view counter, std::int64_t at_ms, std::string_view actor = {}) {
    auto r = make_record(++seq_, type);
    r["counter"] = counter;
    r["wall_ms"] = at_ms;
    if (!actor.empty()) r["actor"] = actor;
    records_.push_back(std::move(r));
    if (type == "device") return;
    want.deployed.emplace(counter);
    if (at_ms < week_start_ms || at_ms >= week_start_ms + 7 * day_ms) return;
    want.active.emplace(counter);
    if (type == "visit_opened") ++want.visits_by_day[static_cast<std::size_t>((at_ms - week_start_ms) / day_ms)];
    if (type == "declaration") {
      ++want.declarations;
      want.proxy += actor.empty() ? 0 : 1;
    }
    if (type == "slip_issued") ++want.issued;
    if (type == "slip_returned") ++want.returned;
  }

  // A working week: visits on each counter every day, every 3rd with a
  // declaration (every other one of those made by staff for the visitor),
  // every 5th with a paper slip (every other slip returned).
  void busy_week(const std::vector<std::string>& counters, int base) {
    for (int d = 0; d < 7; ++d) {
      for (std::size_t c = 0; c < counters.size(); ++c) {
        const int visits = base * (d + 1) + static_cast<int>(c);
        for (int v = 0; v < visits; ++v) {
          const std::int64_t at = week_start_ms + d * day_ms + 8 * hour_ms + v * 60'000;  // from 08:00 local
          add("visit_opened", counters[c], at);
          if (v % 3 == 0) add("declaration", counters[c], at + 10'000, v % 2 ? "web:lan" : "");
          if (v % 5 == 0) {
            add("slip_issued", counters[c], at + 20'000, "web:lan");
            if (v % 2 == 0) add("slip_returned", counters[c], at + 3'600'000);
          }
          add("visit_closed", counters[c], at + 1'800'000);
        }
      }
    }
  }

  void send(https_client& c) {
    for (std::size_t from = 0; from < records_.size(); from += 5000) {
      json::array part(records_.begin() + static_cast<std::ptrdiff_t>(from),
                       records_.begin() + static_cast<std::ptrdiff_t>(std::min(records_.size(), from + 5000)));
      auto rep = c.post("/v1/batches", batch_body(std::move(part), make_sent(), gateway_));
      BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
      BOOST_TEST_REQUIRE(rep->status == 200u, rep->body);
    }
    records_.clear();
  }

  expected want;

 private:
  std::string gateway_;
  std::int64_t seq_ = 0;
  json::array records_;
};

std::string utc(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::chrono::system_clock::to_time_t(t)));
}

// One CSV line's cells (RFC 4180 quotes).
std::vector<std::string> cells(std::string_view line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted && ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      out.back() += '"';
      ++i;
    } else if (ch == '"') {
      quoted = !quoted;
    } else if (ch == ',' && !quoted) {
      out.emplace_back();
    } else if (ch != '\r') {
      out.back() += ch;
    }
  }
  return out;
}

// The report as rows keyed "level/id", each a column -> cell map.
std::map<std::string, std::map<std::string, std::string>> parse_report(const std::string& csv) {
  std::vector<std::vector<std::string>> lines;
  std::size_t pos = 0;
  while (pos < csv.size()) {
    const auto nl = csv.find('\n', pos);
    lines.push_back(cells(std::string_view(csv).substr(pos, nl - pos)));
    pos = nl + 1;
  }
  std::map<std::string, std::map<std::string, std::string>> out;
  for (std::size_t l = 1; l < lines.size(); ++l) {
    BOOST_TEST_REQUIRE(lines[l].size() == lines[0].size(), "line " << l);
    auto& row = out[lines[l][0] + "/" + lines[l][1]];
    for (std::size_t c = 0; c < lines[0].size(); ++c) row[lines[0][c]] = lines[l][c];
  }
  return out;
}

void check_figures(const std::map<std::string, std::string>& row, const expected& e, const std::string& what) {
  BOOST_TEST_CONTEXT(what) {
    BOOST_TEST(row.at("visits") == std::to_string(e.visits()));
    BOOST_TEST(row.at("declarations") == std::to_string(e.declarations));
    BOOST_TEST(row.at("proxy_declarations") == std::to_string(e.proxy));
    BOOST_TEST(row.at("slips_issued") == std::to_string(e.issued));
    BOOST_TEST(row.at("slips_returned") == std::to_string(e.returned));
    BOOST_TEST(row.at("scan_points_deployed") == std::to_string(e.deployed.size()));
    BOOST_TEST(row.at("scan_points_active") == std::to_string(e.active.size()));
    const char* days[] = {"2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05", "2026-12-06"};
    for (std::size_t d = 0; d < 7; ++d) {
      BOOST_TEST(row.at(std::string("visits_") + days[d]) == std::to_string(e.visits_by_day[d]), days[d]);
    }
  }
}

expected sum(std::initializer_list<const expected*> parts, std::string_view prefix_each = {}) {
  expected out;
  int i = 0;
  for (const auto* p : parts) {
    for (std::size_t d = 0; d < 7; ++d) out.visits_by_day[d] += p->visits_by_day[d];
    out.declarations += p->declarations;
    out.proxy += p->proxy;
    out.issued += p->issued;
    out.returned += p->returned;
    // Counters are per gateway: keep them apart by the part's number.
    for (const auto& c : p->deployed) out.deployed.insert(fmt::format("{}{}/{}", prefix_each, i, c));
    for (const auto& c : p->active) out.active.insert(fmt::format("{}{}/{}", prefix_each, i, c));
    ++i;
  }
  return out;
}

// The generated province: four gateways of three sites sending a week, one
// site never heard from; tokens for each.
struct generated_week {
  receiver_fixture r;
  std::map<std::string, week_generator> gen;
  std::filesystem::path csv = r.dir() / "sites.csv";

  generated_week() {
    const std::vector<std::string> gateways{"gw-hue-1", "gw-hue-2", "gw-kim", "gw-stray"};
    std::string tokens;
    for (const auto& g : gateways) {
      tokens += fmt::format("{} token-{}\n", g, g);
      gen.emplace(g, week_generator(g));
    }
    write_file(r.dir() / "tokens", tokens);
    write_file(csv, std::string(site_csv));
    r.start({"--tokens", (r.dir() / "tokens").native()});

    auto& hue1 = gen.at("gw-hue-1");
    hue1.busy_week({"quay-1", "quay-2"}, 3);
    // The UTC+7 day boundary, on both ends of the week.
    hue1.add("visit_opened", "quay-1", week_start_ms - 60'000);                         // Sun 23:59, week 48
    hue1.add("visit_opened", "quay-1", week_start_ms + 10 * 60'000);                    // Mon 00:10
    hue1.add("visit_opened", "quay-1", week_start_ms + 6 * day_ms + 23 * hour_ms + 1'800'000);  // Sun 23:30
    hue1.add("visit_opened", "quay-1", week_start_ms + 7 * day_ms + 1'800'000);         // Mon 00:30, week 50
    hue1.add("device", "scanner-1", week_start_ms + hour_ms);                           // a device is no scan point
    auto& hue2 = gen.at("gw-hue-2");
    hue2.busy_week({"quay-1", "quay-2"}, 1);
    hue2.add("visit_opened", "quay-9", week_start_ms - 3 * day_ms);  // deployed, not active this week
    gen.at("gw-kim").busy_week({"ban-1"}, 2);
    gen.at("gw-stray").busy_week({"quay-1"}, 1);
    for (auto& [g, w] : gen) {
      auto o = r.options();
      o.token = "token-" + g;
      https_client c(o);
      w.send(c);
    }
    // gw-hue-1's heartbeat names a third counter, not used this week.
    auto hb = json::parse(heartbeat_body("gw-hue-1")).as_object();
    hb["version"] = "0.9.1";
    hb["counters"] = json::array{json::object{{"id", "quay-1"}}, json::object{{"id", "quay-2"}}, json::object{{"id", "quay-3"}}};
    hb["devices"] = json::array{json::object{{"id", "printer-1"}, {"role", "printer"}, {"online", true}, {"status", "paper_out"}}};
    hb["queue"] = json::object{{"depth", 12}, {"oldest_unsent_wall_ms", week_start_ms}, {"dead_letters", 2}, {"last_seq", 99}};
    hb["store"] = json::object{{"bytes", 1000}, {"alarm", true}};
    auto o = r.options();
    o.token = "token-gw-hue-1";
    https_client c(o);
    auto rep = c.post("/v1/heartbeats", json::serialize(hb));
    BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
    BOOST_TEST_REQUIRE(rep->status == 200u, rep->body);
    gen.at("gw-hue-1").want.deployed.emplace("quay-3");
    must_run({"sites", "load", "--db", r.db_arg(), csv.native()});
  }

  std::string report(std::vector<std::string> extra) const {
    std::vector<std::string> args{"report", "weekly", "--db", r.db_arg(), "--week", "2026-W49"};
    args.insert(args.end(), extra.begin(), extra.end());
    return must_run(args).out;
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(weekly_report_figures_match_a_generated_week_per_gateway_site_commune_and_province) {
  generated_week w;
  const auto soon = utc(std::chrono::system_clock::now() + std::chrono::hours(1));
  const auto rows = parse_report(w.report({"--as-of", soon}));
  const auto& want = [&](const char* g) -> const expected& { return w.gen.at(g).want; };
  for (const char* g : {"gw-hue-1", "gw-hue-2", "gw-kim", "gw-stray"}) {
    check_figures(rows.at(std::string("gateway/") + g), want(g), g);
    BOOST_TEST(rows.at(std::string("gateway/") + g).at("gateways_silent") == "0", g);
  }
  // The boundary records: Mon 00:10 and Sun 23:30 counted on their local days, the other two not.
  BOOST_TEST(want("gw-hue-1").visits_by_day[0] == 3 * 1 + 3 * 1 + 1 + 1);
  BOOST_TEST(rows.at("gateway/gw-never").at("last_contact_utc") == "never");
  BOOST_TEST(rows.at("gateway/gw-never").at("gateways_silent") == "1");
  BOOST_TEST(rows.at("gateway/gw-stray").at("name") == "");  // outside the site table

  check_figures(rows.at("site/hue-01"), want("gw-hue-1"), "hue-01");
  BOOST_TEST(rows.at("site/hue-01").at("scan_points_per_100") == "1.00");  // quay-1..3 for 300 people
  BOOST_TEST(rows.at("site/hue-01").at("target_met") == "yes");
  BOOST_TEST(rows.at("site/hue-02").at("scan_points_per_100") == "1.50");  // quay-1, quay-2, quay-9 for 200
  BOOST_TEST(rows.at("site/kim-01").at("scan_points_per_100") == "0.40");
  BOOST_TEST(rows.at("site/kim-01").at("target_met") == "no");
  const auto thuan_hoa = sum({&want("gw-hue-1"), &want("gw-hue-2")});
  check_figures(rows.at("commune/Phường Thuận Hòa"), thuan_hoa, "Phường Thuận Hòa");
  BOOST_TEST(rows.at("commune/Phường Thuận Hòa").at("population") == "500");
  BOOST_TEST(rows.at("commune/Xã Đắk Mil").at("gateways") == "2");
  BOOST_TEST(rows.at("commune/Xã Đắk Mil").at("gateways_silent") == "1");
  const auto all = sum({&want("gw-hue-1"), &want("gw-hue-2"), &want("gw-kim"), &want("gw-stray")});
  check_figures(rows.at("province/"), all, "province");
  BOOST_TEST(rows.at("province/").at("name") == "Thừa Thiên Huế");
  BOOST_TEST(rows.at("province/").at("gateways") == "5");

  // A day later nothing has been heard: every gateway is silent.
  const auto later = parse_report(w.report({"--as-of", utc(std::chrono::system_clock::now() + std::chrono::hours(25))}));
  BOOST_TEST(later.at("province/").at("gateways_silent") == "5");
}

BOOST_AUTO_TEST_CASE(weekly_report_csv_neutralises_formulas_and_html_escapes_markup) {
  generated_week w;
  const std::string csv = w.report({});
  const auto rows = parse_report(csv);
  // The cell is text to a spreadsheet: a leading ' before the =.
  BOOST_TEST(rows.at("site/kim-01").at("name") == "'=HYPERLINK(\"http://x\",\"<b>y</b>\")");
  BOOST_TEST(csv.find(",=") == std::string::npos);
  BOOST_TEST(csv.find(",\"=") == std::string::npos);
  const std::string html = w.report({"--format", "html"});
  BOOST_TEST(html.find("<b>y</b>") == std::string::npos);
  BOOST_TEST(html.find("&lt;b&gt;y&lt;/b&gt;") != std::string::npos);
  BOOST_TEST(html.find("<title>Báo cáo tuần 2026-W49") != std::string::npos);
  BOOST_TEST(html.find("<svg") != std::string::npos);
  BOOST_TEST(html.find("@page { size: A4") != std::string::npos);
  BOOST_TEST(html.find("<script") == std::string::npos);
  BOOST_TEST(html.find("http-equiv") == std::string::npos);
  BOOST_TEST(html.find(" src=") == std::string::npos);  // self-contained: nothing fetched
}

BOOST_AUTO_TEST_CASE(fleet_shows_version_backlog_alarms_clock_and_the_gateways_not_heard_from) {
  generated_week w;
  const auto soon = utc(std::chrono::system_clock::now() + std::chrono::hours(1));
  const auto fleet = json::parse(must_run({"fleet", "--db", w.r.db_arg(), "--json", "--as-of", soon}).out).as_array();
  std::map<std::string, json::object> by;
  for (const auto& e : fleet) by[std::string(e.at("gateway").as_string())] = e.as_object();
  BOOST_TEST_REQUIRE(by.size() == 5u);
  const auto& hue1 = by.at("gw-hue-1");
  BOOST_TEST(hue1.at("status").as_string() == "ok");
  BOOST_TEST(hue1.at("site").as_string() == "hue-01");
  BOOST_TEST(hue1.at("version").as_string() == "0.9.1");
  BOOST_TEST(hue1.at("backlog").as_int64() == 12);
  BOOST_TEST(hue1.at("clock_synced").as_bool());
  BOOST_TEST(json::serialize(hue1.at("alarms")) == R"(["store_full","dead_letters=2","printer-1:paper_out"])");
  BOOST_TEST(by.at("gw-kim").at("last_heartbeat_ms").is_null());  // batches only
  BOOST_TEST(by.at("gw-kim").at("status").as_string() == "ok");
  BOOST_TEST(by.at("gw-stray").at("site").is_null());
  BOOST_TEST(by.at("gw-never").at("status").as_string() == "never");
  BOOST_TEST(by.at("gw-never").at("site").as_string() == "never-01");

  const auto later = utc(std::chrono::system_clock::now() + std::chrono::hours(25));
  const auto text = must_run({"fleet", "--db", w.r.db_arg(), "--as-of", later}).out;
  BOOST_TEST(text.find("5 gateways: 4 silent for more than 24 hours, 1 never heard from") != std::string::npos, text);
  BOOST_TEST(text.find("store_full dead_letters=2 printer-1:paper_out") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(iso_weeks_at_the_year_edges_run_monday_to_sunday_and_week_53_exists_only_when_it_does) {
  temp_dir dir;
  const fresh_db db(dir);
  write_file(dir / "s.csv", std::string(site_csv));
  must_run({"sites", "load", "--db", db.arg, (dir / "s.csv").native()});
  const auto header = [&](const std::string& week) {
    const auto out = must_run({"report", "weekly", "--db", db.arg, "--week", week}).out;
    return out.substr(0, out.find('\n'));
  };
  const auto has = [&](const std::string& week, std::string_view first, std::string_view last) {
    const auto h = header(week);
    BOOST_TEST(h.find(fmt::format("visits_{},", first)) != std::string::npos, week << ": " << h);
    BOOST_TEST(h.find(fmt::format("visits_{},", last)) != std::string::npos, week << ": " << h);
  };
  has("2026-W01", "2025-12-29", "2026-01-04");  // week 1 starts in the year before
  has("2026-W53", "2026-12-28", "2027-01-03");  // 2026 begins on a Thursday: 53 weeks
  has("2027-W01", "2027-01-04", "2027-01-10");
  has("2020-W53", "2020-12-28", "2021-01-03");  // a leap year beginning on a Wednesday
  has("2026W10", "2026-03-02", "2026-03-08");
  for (const char* bad : {"2025-W53", "2026-W00", "2026-W54", "2026-49", "26-W49", "2026-W4"}) {
    const auto res = receiver({"report", "weekly", "--db", db.arg, "--week", bad});
    BOOST_TEST(res.code == 2, bad);
    BOOST_TEST(res.err.find("--week") != std::string::npos, res.err);
  }
  const auto res = receiver({"report", "weekly", "--db", db.arg, "--week", "2025-W53"});
  BOOST_TEST(res.err.find("2025 has only 52 ISO weeks") != std::string::npos, res.err);
}

BOOST_AUTO_TEST_CASE(sites_load_reports_every_bad_line_and_keeps_the_old_table) {
  temp_dir dir;
  const fresh_db db(dir);
  write_file(dir / "s.csv", "\xEF\xBB\xBF" + std::string(site_csv));  // a spreadsheet's byte order mark
  auto res = receiver({"sites", "load", "--db", db.arg, (dir / "s.csv").native()});
  BOOST_TEST_REQUIRE(res.code == 0, res.err);
  BOOST_TEST(res.out.find("loaded 4 sites, 4 gateways") != std::string::npos, res.out);
  write_file(dir / "bad.csv",
             "site_id,name,commune,province,population\r\n"
             "ok-1,Bưu điện Một,Xã A,Tỉnh B,120\r\n"
             "bad id,Tên,Xã A,Tỉnh B,120\r\n"
             "ok-1,Trùng,Xã A,Tỉnh B,0\r\n"
             "ok-3,\"không đóng,Xã A,Tỉnh B,5\r\n"
             "ok-4,\xC3(,Xã A,Tỉnh B,5\r\n");
  res = receiver({"sites", "load", "--db", db.arg, (dir / "bad.csv").native()});
  BOOST_TEST(res.code == 1);
  const std::string f = (dir / "bad.csv").native();
  for (const auto& line : {f + ":3: site_id \"bad id\" is not", f + ":4: site_id \"ok-1\" is already on line 2",
                           f + ":4: population \"0\" is not", f + ":5: a quoted cell is not closed",
                           f + ":6: name is not UTF-8 at byte 0"}) {
    BOOST_TEST(res.err.find(line) != std::string::npos, line << "\n" << res.err);
  }
  BOOST_TEST(res.err.find("the site table is unchanged") != std::string::npos, res.err);
  const auto list = json::parse(must_run({"sites", "list", "--db", db.arg, "--json"}).out).as_array();
  BOOST_TEST_REQUIRE(list.size() == 4u);
  BOOST_TEST(list[0].at("name").as_string() == "Bưu điện Thuận Hòa");
  BOOST_TEST(list[0].at("population").as_int64() == 300);
  BOOST_TEST(list[3].at("gateways").as_array().at(0).as_string() == "gw-never");
  // Gateways by default: the site id.
  write_file(dir / "plain.csv", "name,site_id,population,province,commune\nBưu điện Hai,hai,80,Tỉnh B,Xã C\n");
  must_run({"sites", "load", "--db", db.arg, (dir / "plain.csv").native()});
  const auto plain = json::parse(must_run({"sites", "list", "--db", db.arg, "--json"}).out).as_array();
  BOOST_TEST_REQUIRE(plain.size() == 1u);
  BOOST_TEST(plain[0].at("gateways").as_array().at(0).as_string() == "hai");
  BOOST_TEST(plain[0].at("commune").as_string() == "Xã C");
}

BOOST_AUTO_TEST_CASE(a_schema_2_database_gains_the_site_table_and_read_commands_say_how_until_then) {
  temp_dir dir;
  const fresh_db db(dir);
  write_file(dir / "s.csv", std::string(site_csv));
  must_run({"sites", "load", "--db", db.arg, (dir / "s.csv").native()});
  // Back to what main had before: schema 2, no site tables.
  if (testing_postgresql()) {
    shared_postgres().psql(db.name, "DROP TABLE site_gateways; DROP TABLE sites; UPDATE ravao_schema SET version = 2");
  } else {
    sqlite3* h = nullptr;
    BOOST_TEST_REQUIRE(sqlite3_open(db.arg.c_str(), &h) == SQLITE_OK);
    const auto made = ravao::sql::exec(h, "DROP TABLE site_gateways; DROP TABLE sites; PRAGMA user_version = 2;");
    sqlite3_close(h);
    BOOST_TEST_REQUIRE(made.has_value(), why(made));
  }
  for (const auto& read : {std::vector<std::string>{"report", "weekly", "--week", "2026-W49"},
                                             {"fleet"}, {"sites", "list"}, {"stats"}}) {
    auto args = read;
    args.insert(args.end(), {"--db", db.arg});
    const auto res = receiver(args);
    BOOST_TEST(res.code == 1, read.front());
    // To schema 3 (SQLite) or 4 (PostgreSQL: records.id, docs/tracing.md).
    BOOST_TEST(res.err.find(fmt::format("schema 2: start ravao-receiver serve on it once to bring it to schema {}",
                                        testing_postgresql() ? 4 : 3)) != std::string::npos, res.err);
  }
  must_run({"sites", "load", "--db", db.arg, (dir / "s.csv").native()});
  const auto list = json::parse(must_run({"sites", "list", "--db", db.arg, "--json"}).out).as_array();
  BOOST_TEST(list.size() == 4u);
}

BOOST_AUTO_TEST_CASE(a_record_stamped_more_than_a_day_ahead_of_its_arrival_is_not_counted_on_either_engine) {
  // The rule that lets PostgreSQL read only the day partitions received
  // since the day before the week (docs/weekly-report.md, "Which records
  // count for a week"), applied the same way on SQLite.
  receiver_fixture r;
  r.start();
  using namespace std::chrono;
  const auto now = time_point_cast<milliseconds>(system_clock::now());
  const auto now_ms = now.time_since_epoch().count();
  json::array records;
  for (const auto& [seq, at] : {std::pair{1, now_ms - 60'000}, std::pair{2, now_ms + 14 * day_ms}}) {
    auto rec = make_record(seq);
    rec["counter"] = "quay-1";
    rec["wall_ms"] = at;
    records.push_back(std::move(rec));
  }
  https_client c(r.options());
  auto rep = c.post("/v1/batches", batch_body(std::move(records)));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST_REQUIRE(rep->status == 200u, rep->body);
  // The ISO week of a time, in Vietnam's (UTC+7) days.
  const auto week_of = [](std::int64_t ms) {
    return fmt::format("{:%G-W%V}", fmt::gmtime(static_cast<std::time_t>((ms + 7 * hour_ms) / 1000)));
  };
  const auto visits = [&](std::int64_t ms) {
    const auto rows = parse_report(
        must_run({"report", "weekly", "--db", r.db_arg(), "--week", week_of(ms)}).out);
    return rows.at("gateway/" + std::string(test_gateway));
  };
  const auto this_week = visits(now_ms - 60'000);
  BOOST_TEST(this_week.at("visits") == "1");
  const auto ahead = visits(now_ms + 14 * day_ms);
  BOOST_TEST(ahead.at("visits") == "0");
  BOOST_TEST(ahead.at("scan_points_active") == "0");
  BOOST_TEST(ahead.at("scan_points_deployed") == "1");  // the counter exists all the same
}
