// The store side of sync (docs/sync-protocol.md): upload batches, the
// acknowledged position, dead letters, retention, day counts, device events.

#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "store/store.hpp"
#include "support/harness.hpp"
#include "support/scans.hpp"

using namespace ravao;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr std::int64_t day_ms = 86'400'000;

struct fixture {
  test::temp_dir dir;
  seal::key_pair keys = seal::generate();
  // 2025-11-23 12:00 at UTC+7.
  timestamp t{1'763'874'000'000, 1'000'000'000'000, true};
  std::optional<store_writer> s;

  fixture() {
    store_options o;
    o.province_key = keys.pub;
    auto opened = store_writer::open(dir / "ravao.db", o);
    BOOST_TEST_REQUIRE(opened.has_value(), (opened ? "" : opened.error().message()));
    s.emplace(std::move(*opened));
  }
  timestamp advance_ms(std::int64_t ms) {
    t.wall_ms += ms;
    t.boottime_ns += ms * 1'000'000;
    return t;
  }
  scan_outcome scan(std::string counter, std::string id, counter_mode mode = counter_mode::toggle) {
    // 10 s apart: past the duplicate window.
    scan_request r = ravao::test::person_scan(std::move(counter), mode, std::move(id), advance_ms(10'000));
    r.payload.who->full_name = "Nguyễn Văn An";
    r.symbology = "]Q1";
    auto out = s->apply(std::span(&r, 1), {}, visits_config{});
    BOOST_TEST_REQUIRE(out.has_value());
    return out->front();
  }
  json::array batch(std::int64_t after = 0, std::size_t n = 10'000, std::size_t bytes = 1 << 24) {
    auto b = s->read_upload_batch(after, n, bytes);
    BOOST_TEST_REQUIRE(b.has_value(), (b ? "" : b.error().message()));
    auto v = json::parse(b->records_json).as_array();
    BOOST_TEST_REQUIRE(v.size() == b->seqs.size());
    for (std::size_t i = 0; i < v.size(); ++i) BOOST_TEST(v[i].at("seq").as_int64() == b->seqs[i]);
    return v;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_batch_holds_records_in_the_protocols_form, fixture) {
  scan("c1", "001090012345");
  scan("c1", "001090012345");
  BOOST_TEST_REQUIRE(s->log_device_event("printer-1", "paper_out", advance_ms(10)).has_value());
  const auto v = batch();
  BOOST_TEST_REQUIRE(v.size() == 3u);
  const auto& o = v[0].as_object();
  BOOST_TEST(o.at("seq").as_int64() == 1);
  BOOST_TEST(o.at("type").as_string() == "visit_opened");
  BOOST_TEST(o.at("counter").as_string() == "c1");
  BOOST_TEST(o.at("visit").as_int64() == 1);
  BOOST_TEST(o.at("kind").as_string() == "cccd");
  BOOST_TEST(o.at("name_masked").as_string() == "NGUYỄN V. A.");
  BOOST_TEST(o.at("id_masked").as_string() == "**********45");
  BOOST_TEST(o.at("symbology").as_string() == "]Q1");
  BOOST_TEST(o.at("wall_ms").as_int64() == t.wall_ms - 10'010);
  BOOST_TEST(o.at("boot_id").as_string() == boot_id());
  BOOST_TEST(o.at("boottime_ns").is_int64());
  BOOST_TEST(o.at("clock_synced").as_bool());
  // Absent when empty.
  BOOST_TEST(!o.contains("payload"));
  BOOST_TEST(!o.contains("flags"));
  BOOST_TEST(!o.contains("close_reason"));
  BOOST_TEST(!o.contains("ref"));
  auto raw = seal::unbase64(o.at("sealed").as_string());
  BOOST_TEST_REQUIRE(raw.has_value());
  BOOST_TEST((seal::format_of(*raw) == seal::sealed_format::v2));
  auto plain = seal::open(keys, *raw);
  BOOST_TEST_REQUIRE(plain.has_value());
  BOOST_TEST(json::parse(*plain).at("id_number").as_string() == "001090012345");
  BOOST_TEST(v[1].at("close_reason").as_string() == "scan");
  const auto& dev = v[2].as_object();
  BOOST_TEST(dev.at("type").as_string() == "device");
  BOOST_TEST(dev.at("counter").as_string() == "printer-1");
  BOOST_TEST(dev.at("payload").as_string() == "paper_out");
  BOOST_TEST(!dev.contains("sealed"));
  BOOST_TEST(!dev.contains("visit"));
  // A device is not a counter.
  auto counters = s->counters(t);
  BOOST_TEST_REQUIRE(counters->size() == 1u);
  BOOST_TEST(counters->front().counter_id == "c1");
}

BOOST_FIXTURE_TEST_CASE(flags_are_an_array_and_text_is_escaped, fixture) {
  scan_request r;
  r.counter_id = "c\"1\\";
  r.payload.kind = payload_kind::ravao_command;
  r.payload.text = "RAVAO:CMD:PRINT_SLIP";
  r.payload.flags = {"bom", "nfd_input"};
  r.symbology = "\x01\xff";  // not UTF-8: replaced, the JSON still parses
  r.at = advance_ms(1);
  BOOST_TEST_REQUIRE(s->apply(std::span(&r, 1), {}, visits_config{}).has_value());
  const auto v = batch();
  BOOST_TEST(v[0].at("counter").as_string() == "c\"1\\");
  BOOST_TEST(v[0].at("flags").as_array().size() == 2u);
  BOOST_TEST(v[0].at("flags").as_array()[1].as_string() == "nfd_input");
  BOOST_TEST(v[0].at("symbology").as_string() == "\x01\xef\xbf\xbd");
}

BOOST_FIXTURE_TEST_CASE(batches_respect_count_and_bytes_and_skip_dead_letters, fixture) {
  for (int i = 0; i < 10; ++i) scan("c1", "0010900123" + std::to_string(10 + i));
  BOOST_TEST(batch(0, 4).size() == 4u);
  BOOST_TEST(batch(7).size() == 3u);
  // Bytes: a record is ~500 bytes here; the JSON never passes the limit...
  auto b = s->read_upload_batch(0, 100, 1200);
  BOOST_TEST_REQUIRE(b.has_value());
  BOOST_TEST(b->records_json.size() <= 1200u);
  BOOST_TEST(b->seqs.size() >= 1u);
  BOOST_TEST(b->seqs.size() < 10u);
  // ... except that one record always goes.
  auto one = s->read_upload_batch(0, 100, 10);
  BOOST_TEST_REQUIRE(one.has_value());
  BOOST_TEST(one->seqs.size() == 1u);
  BOOST_TEST(json::parse(one->records_json).as_array().size() == 1u);

  const std::vector<dead_letter> dead{{3, "unknown record type"}, {4, "413"}};
  BOOST_TEST_REQUIRE(s->acknowledge(2, dead, advance_ms(1)).has_value());
  const auto v = batch(2);
  BOOST_TEST_REQUIRE(v.size() == 6u);
  BOOST_TEST(v[0].at("seq").as_int64() == 5);
  auto letters = s->dead_letters(10);
  BOOST_TEST_REQUIRE(letters.has_value());
  BOOST_TEST_REQUIRE(letters->size() == 2u);
  BOOST_TEST((*letters)[0].first.seq == 3);
  BOOST_TEST((*letters)[0].first.reason == "unknown record type");
  BOOST_TEST((*letters)[0].second == t.wall_ms);

  // An empty store, or nothing after: an empty batch.
  auto none = s->read_upload_batch(10, 100, 1 << 20);
  BOOST_TEST(none->seqs.empty());
  BOOST_TEST(none->records_json == "[]");
}

BOOST_FIXTURE_TEST_CASE(the_sync_position_follows_acknowledgements, fixture) {
  auto p = s->sync_position();
  BOOST_TEST_REQUIRE(p.has_value());
  BOOST_TEST(p->stream.size() == 32u);
  BOOST_TEST(p->last_seq == 0);
  BOOST_TEST(p->depth == 0);
  BOOST_TEST(!p->oldest_unsent_wall_ms.has_value());
  for (int i = 0; i < 5; ++i) scan("c1", "0010900123" + std::to_string(10 + i));
  p = s->sync_position();
  BOOST_TEST(p->depth == 5);
  BOOST_TEST(p->last_seq == 5);
  BOOST_TEST(p->oldest_unsent_wall_ms.value_or(0) == t.wall_ms - 40'000);
  const std::vector<dead_letter> dead{{4, "refused"}};
  BOOST_TEST_REQUIRE(s->acknowledge(3, dead, t).has_value());
  // Never backwards, never past the last record.
  BOOST_TEST_REQUIRE(s->acknowledge(1, {}, t).has_value());
  p = s->sync_position();
  BOOST_TEST(p->acked_seq == 3);
  BOOST_TEST(p->depth == 1);  // 5; 4 is dead-lettered
  BOOST_TEST(p->dead_letters == 1);
  BOOST_TEST(p->oldest_unsent_wall_ms.value_or(0) == t.wall_ms);
  BOOST_TEST_REQUIRE(s->acknowledge(99, {}, t).has_value());
  BOOST_TEST(s->sync_position()->acked_seq == 5);
  // The stream id is the store's: the same after reopening, read-only too.
  const std::string stream = p->stream;
  s.reset();
  auto ro = store_reader::open(dir / "ravao.db");
  BOOST_TEST_REQUIRE(ro.has_value());
  BOOST_TEST(ro->sync_position()->stream == stream);
  BOOST_TEST(ro->read_upload_batch(0, 10, 1 << 20)->seqs.size() == 4u);  // 4 is dead-lettered
}

BOOST_FIXTURE_TEST_CASE(retention_deletes_only_what_the_server_has, fixture) {
  scan("c1", "001090012345");  // 1 opened
  scan("c1", "001090012345");  // 2 closed
  scan("c1", "079203004545");  // 3 opened, closed later
  scan("c1", "001090099999");  // 4 opened
  scan("c1", "001090099999");  // 5 closed
  const std::vector<dead_letter> dead{{2, "refused"}};
  BOOST_TEST_REQUIRE(s->acknowledge(3, dead, t).has_value());
  // 40 days later, 30 days of retention.
  advance_ms(40 * day_ms);
  scan("c1", "079203004545");  // 6 closes visit 2 (recent close)
  auto pruned = s->prune(t, 30);
  BOOST_TEST_REQUIRE(pruned.has_value());
  auto rows = s->records({});
  std::vector<std::int64_t> seqs;
  for (const auto& r : *rows) seqs.push_back(r.seq);
  // 1 and 3 went (acknowledged, old); 2 is dead-lettered; 4, 5 unacknowledged; 6 recent.
  BOOST_TEST(seqs == (std::vector<std::int64_t>{2, 4, 5, 6}));
  auto visits = s->visits({});
  std::vector<std::int64_t> ids;
  for (const auto& v : *visits) ids.push_back(v.id);
  // Visits 1 and 3 were closed 40 days ago, visit 2 just now; 3 is the newest id and stays.
  BOOST_TEST(ids == (std::vector<std::int64_t>{3, 2}));
  BOOST_TEST(*pruned == 3);

  // Everything acknowledged and old: the newest record stays, so the
  // sequence goes on after a restart instead of starting again at 1.
  BOOST_TEST_REQUIRE(s->acknowledge(6, {}, t).has_value());
  advance_ms(40 * day_ms);
  BOOST_TEST_REQUIRE(s->prune(t, 30).has_value());
  rows = s->records({});
  BOOST_TEST_REQUIRE(rows->size() == 2u);  // the dead letter and the newest
  BOOST_TEST(rows->back().seq == 6);
  BOOST_TEST(scan("c9", "001090055555").seq == 7);
}

BOOST_FIXTURE_TEST_CASE(daily_counts_cover_the_last_local_days_today_first, fixture) {
  // 2025-11-23 12:00 +07:00.
  scan("c1", "001090012345");  // visit + scan
  scan("c1", "001090012345");  // scan (closes)
  slip_request sr{"c1", "p1", true, std::chrono::seconds(120), {}, nullptr, advance_ms(10), {}};
  BOOST_TEST_REQUIRE(s->issue_slip(sr).has_value());
  BOOST_TEST_REQUIRE(s->log_device_event("scanner-1", "online", t).has_value());
  // Two days later, 23:29 local (16:29 UTC): still that local day.
  advance_ms(2 * day_ms + 11 * 3'600'000 + 29 * 60'000 - 20'010);
  scan("door", "079203004545", counter_mode::exit);  // exit without entry: a visit and a scan
  auto days = s->daily_counts(t, 7);
  BOOST_TEST_REQUIRE(days.has_value());
  BOOST_TEST_REQUIRE(days->size() == 7u);
  BOOST_TEST((*days)[0].date == "2025-11-25");
  BOOST_TEST((*days)[0].scans == 1);
  BOOST_TEST((*days)[0].visits == 1);
  BOOST_TEST((*days)[1].date == "2025-11-24");
  BOOST_TEST((*days)[1].scans == 0);
  BOOST_TEST((*days)[2].date == "2025-11-23");
  BOOST_TEST((*days)[2].scans == 2);
  BOOST_TEST((*days)[2].visits == 1);
  BOOST_TEST((*days)[2].slips == 1);
  BOOST_TEST((*days)[6].date == "2025-11-19");
}
