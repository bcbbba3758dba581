// Personal data sealed at the edge (docs/privacy.md): the schema-3 migration
// of a store that kept names and ID numbers in clear, the write path with and
// without a provincial key, and visit matching by the keyed hash. The files
// on disk are searched for the visitors' names and numbers in every form.

#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>
#include <sqlite3.h>

#include <set>

#include "store/store.hpp"
#include "support/harness.hpp"

using namespace ravao;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const seal::key_pair& province() {
  static const seal::key_pair k = seal::generate();
  return k;
}

store_options with_key() {
  store_options o;
  o.province_key = province().pub;
  return o;
}

// Every form a name or number could take in the files: NFC, NFD, upper case,
// given names alone, digits. (The family name alone is part of the masked
// form, NGUYỄN V. A., by design.)
const std::vector<std::string> clear_needles = {
    "Nguyễn Văn An", "Nguye\xcc\x82\xcc\x83n Va\xcc\x86n An", "NGUYỄN VĂN AN", "Văn An", "VĂN AN", "Nguyễn",
    "Phạm Thị Thu", "Pha\xcc\xa3m Thi\xcc\xa3 Thu", "PHẠM THỊ THU", "Thị Thu", "THỊ THU", "Phạm",
    "Lê Thị Hoa", "Le\xcc\x82 Thi\xcc\xa3 Hoa", "Thị Hoa", "THỊ HOA",
    "Trần Thị Bình", "THỊ BÌNH", "Thị Bình",
    "001090012345", "079190000777", "079203004545", "123456789", "0912345678", "0987654321",
    "Ia Kênh", "IA KÊNH", "Phường 1",
};

// The needles found in the store's files (main file, -wal, -shm).
std::vector<std::string> clear_text_in(const fs::path& db) {
  std::vector<std::string> found;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const fs::path p = db.string() + suffix;
    if (!fs::exists(p)) continue;
    const std::string bytes = test::read_file(p);
    for (const auto& n : clear_needles)
      if (bytes.find(n) != std::string::npos) found.push_back(n + " in " + p.filename().string());
  }
  return found;
}

void load_v2_fixture(const fs::path& db_path) {
  sqlite3* db = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_open(db_path.c_str(), &db) == SQLITE_OK);
  const std::string sql = test::read_file(fs::path(RAVAO_SOURCE_DIR) / "tests/daemon/store/data/store_v2.sql");
  char* err = nullptr;
  const int rc = sqlite3_exec(db, ("PRAGMA page_size=1024; PRAGMA journal_mode=WAL; " + sql).c_str(), nullptr,
                              nullptr, &err);
  BOOST_TEST_REQUIRE(rc == SQLITE_OK, (err ? err : ""));
  sqlite3_close(db);
}

int user_version(const fs::path& db_path) {
  sqlite3* db = nullptr;
  sqlite3_open(db_path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr);
  sqlite3_step(st);
  const int v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

// The records of a store in the protocol's form, by seq.
std::map<std::int64_t, json::object> upload_records(const store_reader& s) {
  auto b = s.read_upload_batch(0, 10'000, 64 << 20);
  BOOST_TEST_REQUIRE(b.has_value(), (b ? "" : b.error().message()));
  std::map<std::int64_t, json::object> out;
  const json::value all = json::parse(b->records_json);
  for (const auto& v : all.as_array()) out[v.at("seq").as_int64()] = v.as_object();
  return out;
}

// What a record's sealed field holds, opened with the provincial secret key.
json::object opened(const json::object& record) {
  BOOST_TEST_REQUIRE(record.contains("sealed"));
  auto raw = seal::unbase64(record.at("sealed").as_string());
  BOOST_TEST_REQUIRE(raw.has_value());
  auto plain = seal::open(province(), *raw);
  BOOST_TEST_REQUIRE(plain.has_value());
  return json::parse(*plain).as_object();
}

struct fake_clock {
  timestamp t{1'763'880'000'000, 1'000'000'000'000, true};
  timestamp advance_ms(std::int64_t ms) {
    t.wall_ms += ms;
    t.boottime_ns += ms * 1'000'000;
    return t;
  }
};

scan_request card(std::string counter, counter_mode mode, std::string id, std::string name, const timestamp& at) {
  scan_request r;
  r.counter_id = std::move(counter);
  r.mode = mode;
  r.payload.kind = payload_kind::cccd;
  r.payload.text = id + "||" + name + "|01011990|Nam|Thôn 3, Xã Ia Kênh|15082021";
  r.payload.who = person{};
  r.payload.who->id_number = std::move(id);
  r.payload.who->full_name = std::move(name);
  r.payload.who->birth_date = civil_date{1990, 1, 1};
  r.payload.who->sex_ = sex::male;
  r.payload.who->address = "Thôn 3, Xã Ia Kênh, Gia Lai";
  r.at = at;
  return r;
}

scan_request opaque(std::string counter, std::string text, const timestamp& at) {
  scan_request r;
  r.counter_id = std::move(counter);
  r.payload.kind = payload_kind::opaque;
  r.payload.text = std::move(text);
  r.at = at;
  return r;
}

scan_outcome apply_one(store_writer& s, const scan_request& r) {
  visits_config v;
  v.duplicate_window = std::chrono::milliseconds(2000);
  auto out = s.apply(std::span(&r, 1), {}, v);
  BOOST_TEST_REQUIRE(out.has_value(), (out ? "" : out.error().message()));
  return out->front();
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_v2_store_is_sealed_masked_and_left_without_a_clear_copy) {
  test::temp_dir d;
  const auto path = d / "ravao.db";
  load_v2_fixture(path);
  BOOST_TEST_REQUIRE(clear_text_in(path).size() > 5u);  // the fixture really holds clear data
  {
    auto s = store_writer::open(path, with_key());
    BOOST_TEST_REQUIRE(s.has_value(), (s ? "" : s.error().message()));
    BOOST_TEST(s->health().schema_version == store_writer::schema_version);
    BOOST_TEST(clear_text_in(path) == std::vector<std::string>{}, "while open");

    const auto recs = upload_records(*s);
    BOOST_TEST_REQUIRE(recs.size() == 9u);
    // The opening: masks and hash in clear, everything of the card sealed.
    const auto& opening = recs.at(1);
    BOOST_TEST(opening.at("name_masked").as_string() == "NGUYỄN V. A.");
    BOOST_TEST(opening.at("id_masked").as_string() == "**********45");
    // The migration seals in format 1 (crypto_box_seal), which opens as ever.
    BOOST_TEST((seal::format_of(*seal::unbase64(opening.at("sealed").as_string())) == seal::sealed_format::v1));
    const auto p1 = opened(opening);
    BOOST_TEST(p1.at("id_number").as_string() == "001090012345");
    BOOST_TEST(p1.at("name").as_string() == "Nguyễn Văn An");
    BOOST_TEST(p1.at("birth_date").as_string() == "1990-01-01");
    BOOST_TEST(p1.at("address").as_string() == "Thôn 3, Xã Ia Kênh, Gia Lai");
    BOOST_TEST(p1.at("old_id_number").as_string() == "123456789");
    BOOST_TEST(opened(recs.at(2)).at("name").as_string() == "Nguyễn Văn An");
    // An opaque payload that may be personal: sealed, no clear payload.
    BOOST_TEST(!recs.at(3).contains("payload"));
    BOOST_TEST(opened(recs.at(3)).at("payload").as_string() == "079203004545|Lê Thị Hoa|0912345678");
    // ravao's own codes stay in clear; undo and slip references move to ref.
    BOOST_TEST(recs.at(4).at("payload").as_string() == "RAVAO:CMD:PRINT_SLIP");
    BOOST_TEST(!recs.at(4).contains("sealed"));
    BOOST_TEST(recs.at(5).at("ref").as_int64() == 1);
    BOOST_TEST(recs.at(7).at("ref").as_int64() == 3);
    BOOST_TEST(!recs.at(7).contains("payload"));
    BOOST_TEST(recs.at(9).at("ref").as_int64() == 1);
    // The declaration: identity and answers sealed, the slip number in clear.
    const auto decl = opened(recs.at(8));
    BOOST_TEST(decl.at("phone").as_string() == "0987654321");
    BOOST_TEST(decl.at("declaration").as_object().at("travel").as_string() == "no");
    BOOST_TEST(recs.at(8).at("payload").as_string() == "000014");
    BOOST_TEST(recs.at(8).at("ref").as_int64() == 1);

    auto visits = s->visits({});
    BOOST_TEST_REQUIRE(visits->size() == 2u);
    BOOST_TEST(visits->back().name_masked == "NGUYỄN V. A.");
    BOOST_TEST(visits->front().name_masked == "PHẠM T. T.");
    BOOST_TEST(visits->front().id_masked == "**********77");
    auto jobs = s->jobs({});
    BOOST_TEST(json::parse(jobs->front().content).at("person_name").as_string() == "NGUYỄN V. A.");

    // The open visit of schema 2 is found by the hash: the person's next
    // scan at c2 closes it.
    fake_clock c;
    auto out = apply_one(*s, card("c2", counter_mode::toggle, "079190000777", "Phạm Thị Thu", c.advance_ms(600'000)));
    BOOST_TEST((out.effect == scan_effect::visit_closed));
    BOOST_TEST(out.visit_id == 2);
    auto pos = s->sync_position();
    BOOST_TEST_REQUIRE(pos.has_value());
    BOOST_TEST(pos->stream.size() == 32u);
    BOOST_TEST(pos->acked_seq == 0);
    BOOST_TEST(pos->last_seq == 10);
  }
  BOOST_TEST(clear_text_in(path) == std::vector<std::string>{}, "after closing");
  // The rejected scan's preview is a shape now.
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT preview FROM rejected_scans", -1, &st, nullptr);
  BOOST_TEST_REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  BOOST_TEST(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) ==
             "999999999999||Aaaaaa Aaa Aa|9");  // schema 2 kept 32 bytes
  sqlite3_finalize(st);
  sqlite3_close(db);
}

BOOST_AUTO_TEST_CASE(a_v2_store_with_clear_data_and_no_key_is_refused_untouched) {
  test::temp_dir d;
  const auto path = d / "ravao.db";
  load_v2_fixture(path);
  auto s = store_writer::open(path);
  BOOST_TEST_REQUIRE(!s.has_value());
  BOOST_TEST(s.error().message().find("[sync] public_key") != std::string::npos, s.error().message());
  BOOST_TEST(user_version(path) == 2);
  // With the key, the same file migrates.
  BOOST_TEST(store_writer::open(path, with_key()).has_value());
}

BOOST_AUTO_TEST_CASE(a_v2_store_without_personal_data_migrates_without_a_key) {
  test::temp_dir d;
  const auto path = d / "ravao.db";
  load_v2_fixture(path);
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "DELETE FROM records WHERE seq NOT IN (4, 5, 7)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  auto s = store_writer::open(path);
  BOOST_TEST_REQUIRE(s.has_value(), (s ? "" : s.error().message()));
  BOOST_TEST(!s->sealing());
  BOOST_TEST(upload_records(*s).size() == 3u);
  BOOST_TEST(clear_text_in(path) == std::vector<std::string>{});
}

BOOST_AUTO_TEST_CASE(scans_are_sealed_once_for_every_record_they_write) {
  test::temp_dir d;
  const auto path = d / "ravao.db";
  auto s = store_writer::open(path, with_key());
  BOOST_TEST_REQUIRE(s.has_value());
  BOOST_TEST(s->sealing());
  fake_clock c;
  // The writer seals what the caller did not.
  apply_one(*s, card("c1", counter_mode::toggle, "001090012345", "Nguyễn Văn An", c.t));
  // The caller sealed ahead (as ravaod does on its event loop): used as is.
  auto pre = opaque("c1", "079203004545|Lê Thị Hoa|0912345678", c.advance_ms(10));
  seal::window_sealer caller(province().pub);
  pre.sealed = seal_person(pre.payload, caller);
  apply_one(*s, pre);
  // A command: nothing personal, nothing sealed.
  auto cmd = opaque("c1", "RAVAO:CMD:PRINT_SLIP", c.advance_ms(10));
  cmd.payload.kind = payload_kind::ravao_command;
  apply_one(*s, cmd);
  // An exit scan closing visits at two counters: both records carry the scan's seal.
  apply_one(*s, card("c2", counter_mode::entry, "001090012345", "Nguyễn Văn An", c.advance_ms(10)));
  auto out = apply_one(*s, card("door", counter_mode::exit, "001090012345", "Nguyễn Văn An", c.advance_ms(10)));
  BOOST_TEST(out.records == 2);

  const auto recs = upload_records(*s);
  BOOST_TEST_REQUIRE(recs.size() == 6u);
  const auto p = opened(recs.at(1));
  BOOST_TEST(p.at("id_number").as_string() == "001090012345");
  BOOST_TEST(p.at("name").as_string() == "Nguyễn Văn An");
  BOOST_TEST(p.at("sex").as_string() == "male");
  BOOST_TEST(p.at("birth_date").as_string() == "1990-01-01");
  BOOST_TEST(opened(recs.at(2)).at("payload").as_string() == "079203004545|Lê Thị Hoa|0912345678");
  BOOST_TEST(!recs.at(2).contains("payload"));
  BOOST_TEST(!recs.at(3).contains("sealed"));
  BOOST_TEST(recs.at(3).at("payload").as_string() == "RAVAO:CMD:PRINT_SLIP");
  BOOST_TEST(recs.at(5).at("sealed").as_string() == recs.at(6).at("sealed").as_string());
  BOOST_TEST(opened(recs.at(6)).at("id_number").as_string() == "001090012345");
  for (const auto& [seq, r] : recs) {
    if (r.contains("flags"))
      for (const auto& f : r.at("flags").as_array()) BOOST_TEST(f.as_string() != "personal_data_not_kept");
  }

  apply_one(*s, card("c3", counter_mode::entry, "079190000777", "Phạm Thị Thu", c.advance_ms(10)));
  declaration_request decl;
  decl.counter_id = "c3";
  decl.person_id = "079190000777";
  decl.person_name = "Phạm Thị Thu";
  decl.declaration_json = R"({"name":"Phạm Thị Thu","phone":"0987654321","birth":"1985"})";
  decl.at = c.advance_ms(10);
  BOOST_TEST_REQUIRE(s->declare(decl).has_value());
  const auto last = upload_records(*s).rbegin()->second;
  BOOST_TEST(last.at("name_masked").as_string() == "PHẠM T. T.");
  const auto dp = opened(last);
  BOOST_TEST(dp.at("id_number").as_string() == "079190000777");
  BOOST_TEST(dp.at("phone").as_string() == "0987654321");
  BOOST_TEST(!dp.contains("birth_date"));  // a year alone stays in the answers
  BOOST_TEST(dp.at("declaration").at("birth").as_string() == "1985");

  const auto found = clear_text_in(path);
  BOOST_TEST(found == std::vector<std::string>{});
}

BOOST_AUTO_TEST_CASE(scans_and_declarations_are_sealed_in_format_2_under_one_window_key) {
  test::temp_dir d;
  auto options = with_key();
  // As ravaod does: one sealer for the loop (scans) and the writer (declarations).
  options.sealer = std::make_shared<seal::window_sealer>(province().pub);
  auto s = store_writer::open(d / "ravao.db", options);
  BOOST_TEST_REQUIRE(s.has_value());
  fake_clock c;
  apply_one(*s, opaque("c1", "079203004545|Lê Thị Hoa|0912345678", c.t));  // sealed by the writer
  auto scan = card("c1", counter_mode::entry, "079190000777", "Phạm Thị Thu", c.advance_ms(10));
  scan.sealed = seal_person(scan.payload, *options.sealer);
  apply_one(*s, scan);
  declaration_request decl;
  decl.counter_id = "c1";
  decl.person_id = "079190000777";
  decl.person_name = "Phạm Thị Thu";
  decl.declaration_json = R"({"phone":"0987654321"})";
  decl.at = c.advance_ms(10);
  const auto declared = s->declare(decl);
  BOOST_TEST_REQUIRE(declared.has_value(), (declared ? "" : declared.error().message()));

  const auto recs = upload_records(*s);
  BOOST_TEST_REQUIRE(recs.size() == 3u);
  std::set<std::string> ephemerals;
  for (const auto& [seq, r] : recs) {
    const auto raw = seal::unbase64(r.at("sealed").as_string());
    BOOST_TEST_REQUIRE(raw.has_value());
    BOOST_TEST((seal::format_of(*raw) == seal::sealed_format::v2), "record " << seq);
    ephemerals.insert(raw->substr(0, seal::key_bytes));
  }
  BOOST_TEST(ephemerals.size() == 1u);
  BOOST_TEST(opened(recs.at(1)).at("payload").as_string() == "079203004545|Lê Thị Hoa|0912345678");
  BOOST_TEST(opened(recs.at(2)).at("name").as_string() == "Phạm Thị Thu");
  BOOST_TEST(opened(recs.at(3)).at("phone").as_string() == "0987654321");
  BOOST_TEST(options.sealer->holds_key());
}

BOOST_AUTO_TEST_CASE(without_a_key_personal_data_is_not_kept_and_flagged) {
  test::temp_dir d;
  const auto path = d / "ravao.db";
  auto s = store_writer::open(path);
  BOOST_TEST_REQUIRE(s.has_value());
  BOOST_TEST(!s->sealing());
  fake_clock c;
  apply_one(*s, card("c1", counter_mode::toggle, "001090012345", "Nguyễn Văn An", c.t));
  apply_one(*s, opaque("c1", "079203004545|Lê Thị Hoa|0912345678", c.advance_ms(10)));
  auto rows = s->records({});
  BOOST_TEST_REQUIRE(rows->size() == 2u);
  for (const auto& r : *rows) {
    BOOST_TEST(!r.has_sealed);
    BOOST_TEST(r.flags == "personal_data_not_kept");
    BOOST_TEST(r.payload.empty());
  }
  BOOST_TEST((*rows)[0].name_masked == "NGUYỄN V. A.");
  BOOST_TEST(clear_text_in(path) == std::vector<std::string>{});
}

BOOST_AUTO_TEST_CASE(visits_are_matched_by_the_hash_across_reopening) {
  test::temp_dir d;
  const auto path = d / "ravao.db";
  fake_clock c;
  std::int64_t visit = 0;
  {
    auto s = store_writer::open(path, with_key());
    BOOST_TEST_REQUIRE(s.has_value());
    visit = apply_one(*s, card("c1", counter_mode::toggle, "001090012345", "Nguyễn Văn An", c.t)).visit_id;
    // Another person at the same counter does not close it.
    BOOST_TEST((apply_one(*s, card("c1", counter_mode::toggle, "001090012346", "Nguyễn Văn An", c.advance_ms(10)))
                    .effect == scan_effect::visit_opened));
  }
  auto s = store_writer::open(path, with_key());
  BOOST_TEST_REQUIRE(s.has_value());
  // Within the duplicate window after a restart: still a duplicate (the
  // window is seeded from disk by the hash).
  BOOST_TEST((apply_one(*s, card("c1", counter_mode::toggle, "001090012345", "Nguyễn Văn An", c.advance_ms(500)))
                  .effect == scan_effect::duplicate));
  auto out = apply_one(*s, card("c1", counter_mode::toggle, "001090012345", "Nguyễn Văn An", c.advance_ms(60'000)));
  BOOST_TEST((out.effect == scan_effect::visit_closed));
  BOOST_TEST(out.visit_id == visit);
  // Staff checkout and automatic closes keep the visit's masks.
  auto co = s->checkout_last("c1", c.advance_ms(10));
  BOOST_TEST_REQUIRE(co.has_value());
  BOOST_TEST(s->records({})->back().id_masked == "**********46");
}

BOOST_AUTO_TEST_CASE(audit_7_and_8_masks_written_before_the_fix_are_re_masked_and_scrubbed) {
  // A schema-3 store as the audited build wrote it: 6-character ID masks, a
  // name with NBSP separators kept whole, in records, visits and a
  // pre-printed slip job.
  test::temp_dir d;
  const auto path = d / "ravao.db";
  const std::string leaked = "PH\u1EA0M\u00A0MINH\u00A0CH\u00C2U";
  {
    auto s = store_writer::open(path);
    BOOST_TEST_REQUIRE(s.has_value());
    fake_clock c;
    apply_one(*s, card("c1", counter_mode::toggle, "C1234567", "Lê Văn Tám", c.t));
  }
  {
    sqlite3* db = nullptr;
    BOOST_TEST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    const std::string sql =
        "UPDATE records SET id_masked='C123**67', name_masked='" + leaked + "';"
        "UPDATE visits SET id_masked='C123**67', name_masked='" + leaked + "';"
        "INSERT INTO print_jobs(printer_id, counter_id, kind, content, state, created_wall_ms) VALUES('p1', 'c1', "
        "'slip', '{\"number\":\"000017\",\"person_name\":\"" + leaked +
        "\",\"person_id_masked\":\"1234***89\"}', 'printed', 1);"
        // What schema 5 added goes too (the one key back in meta).
        "INSERT OR REPLACE INTO meta(key, value) SELECT 'person_hash_key', lower(hex(key)) FROM hash_keys LIMIT 1;"
        "DROP TABLE hash_keys; ALTER TABLE visits DROP COLUMN key_id;"
        "ALTER TABLE records DROP COLUMN actor;"  // and schema 7's
        "ALTER TABLE records DROP COLUMN action; ALTER TABLE records DROP COLUMN printer_id;"  // and schema 8's
        "ALTER TABLE dead_letters DROP COLUMN unknown_type;"
        "PRAGMA user_version = 3;";
    BOOST_TEST_REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  BOOST_TEST_REQUIRE(test::read_file(path).find("MINH") != std::string::npos);
  {
    auto s = store_writer::open(path);
    BOOST_TEST_REQUIRE(s.has_value(), (s ? "" : s.error().message()));
    BOOST_TEST(s->health().schema_version == store_writer::schema_version);
    const auto rec = s->records({})->front();
    BOOST_TEST(rec.id_masked == "*******7");
    BOOST_TEST(rec.name_masked == "PH\u1EA0M M. C.");
    const auto v = s->visits({})->front();
    BOOST_TEST(v.id_masked == "*******7");
    BOOST_TEST(v.name_masked == "PH\u1EA0M M. C.");
    const auto job = json::parse(s->jobs({})->front().content).as_object();
    BOOST_TEST(job.at("person_name").as_string() == "PH\u1EA0M M. C.");
    BOOST_TEST(job.at("person_id_masked").as_string() == "*******89");
    BOOST_TEST(job.at("number").as_string() == "000017");
  }
  // The scrub: no old mask survives in free pages or the WAL.
  for (const char* suffix : {"", "-wal"}) {
    const fs::path p = path.string() + suffix;
    if (!fs::exists(p)) continue;
    const std::string bytes = test::read_file(p);
    for (const char* needle : {"MINH", "C123", "1234*"}) BOOST_TEST(bytes.find(needle) == std::string::npos, needle);
  }
}
