#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "drivers/escpos/status.hpp"

using namespace ravao::escpos;

namespace {

using bytes = std::vector<std::uint8_t>;

struct parsed {
  std::vector<status_report> reports;
  status_parser parser;

  void feed(std::span<const std::uint8_t> b) {
    parser.feed(b, [this](const status_report& r) { reports.push_back(r); });
  }
  void expect(status_request n) { BOOST_REQUIRE(parser.expect(n)); }
};

std::vector<status_report> parse_all(const bytes& stream, const std::vector<status_request>& expected) {
  parsed p;
  for (status_request n : expected) p.expect(n);
  p.feed(stream);
  return p.reports;
}

// Reports compared by what they carry, for the split-feed test.
bool same(const status_report& a, const status_report& b) {
  const auto eq = [](const observation& x, const observation& y) {
    return x.offline == y.offline && x.cover_open == y.cover_open && x.paper_near_end == y.paper_near_end &&
           x.paper_out == y.paper_out && x.error == y.error;
  };
  return a.answers == b.answers && a.size == b.size && a.bytes == b.bytes && eq(a.seen, b.seen);
}

// Builds an observation naming only some conditions.
struct obs {
  observation o;
  obs& offline(bool v) { o.offline = v; return *this; }
  obs& cover_open(bool v) { o.cover_open = v; return *this; }
  obs& paper_near_end(bool v) { o.paper_near_end = v; return *this; }
  obs& paper_out(bool v) { o.paper_out = v; return *this; }
  obs& error(bool v) { o.error = v; return *this; }
  operator observation() const { return o; }
};

const bytes asb_ok = {0x10, 0x00, 0x00, 0x00};
const bytes asb_cover_open = {0x38, 0x00, 0x00, 0x00};  // offline + cover open
const bytes asb_paper_out = {0x18, 0x00, 0x0C, 0x00};   // offline + paper end
const bytes asb_near_end = {0x10, 0x00, 0x03, 0x00};

}  // namespace

BOOST_AUTO_TEST_CASE(dle_eot_requests) {
  BOOST_TEST((dle_eot(status_request::printer) == std::array<std::uint8_t, 3>{0x10, 0x04, 0x01}));
  BOOST_TEST((dle_eot(status_request::offline_cause) == std::array<std::uint8_t, 3>{0x10, 0x04, 0x02}));
  BOOST_TEST((dle_eot(status_request::error_cause) == std::array<std::uint8_t, 3>{0x10, 0x04, 0x03}));
  BOOST_TEST((dle_eot(status_request::paper_sensor) == std::array<std::uint8_t, 3>{0x10, 0x04, 0x04}));
}

BOOST_AUTO_TEST_CASE(byte_patterns) {
  for (unsigned b = 0; b < 256; ++b) {
    const auto u = static_cast<std::uint8_t>(b);
    // The three kinds never overlap.
    BOOST_TEST(int(is_dle_eot_reply(u)) + int(is_asb_first(u)) + int(is_asb_next(u)) <= 1);
  }
  BOOST_TEST(is_dle_eot_reply(0x12));
  BOOST_TEST(is_dle_eot_reply(0x7E));
  BOOST_TEST(!is_dle_eot_reply(0x92));
  BOOST_TEST(is_asb_first(0x10));
  BOOST_TEST(is_asb_first(0x7C));
  BOOST_TEST(is_asb_next(0x0F));
}

BOOST_AUTO_TEST_CASE(printer_status_reply) {
  auto r = parse_all({0x12}, {status_request::printer});
  BOOST_REQUIRE_EQUAL(r.size(), 1u);
  BOOST_TEST((r[0].answers == status_request::printer));
  BOOST_TEST(r[0].size == 1u);
  BOOST_TEST((r[0].seen.offline == std::optional<bool>(false)));
  BOOST_TEST(!r[0].seen.cover_open.has_value());
  BOOST_TEST(!r[0].seen.paper_out.has_value());

  r = parse_all({0x1A}, {status_request::printer});  // bit 3
  BOOST_REQUIRE_EQUAL(r.size(), 1u);
  BOOST_TEST((r[0].seen.offline == std::optional<bool>(true)));
  r = parse_all({0x16}, {status_request::printer});  // bit 2: drawer pin only
  BOOST_TEST((r[0].seen.offline == std::optional<bool>(false)));
}

BOOST_AUTO_TEST_CASE(offline_cause_reply) {
  auto r = parse_all({0x12}, {status_request::offline_cause});
  BOOST_REQUIRE_EQUAL(r.size(), 1u);
  BOOST_TEST((r[0].seen.cover_open == std::optional<bool>(false)));
  BOOST_TEST((r[0].seen.error == std::optional<bool>(false)));
  BOOST_TEST(!r[0].seen.offline.has_value());

  r = parse_all({0x16}, {status_request::offline_cause});  // bit 2
  BOOST_TEST((r[0].seen.cover_open == std::optional<bool>(true)));
  r = parse_all({0x52}, {status_request::offline_cause});  // bit 6
  BOOST_TEST((r[0].seen.error == std::optional<bool>(true)));
  BOOST_TEST((r[0].seen.cover_open == std::optional<bool>(false)));
  // Bit 5 (stopped by paper end) is not read as paper out: the sensor says.
  r = parse_all({0x32}, {status_request::offline_cause});
  BOOST_TEST(!r[0].seen.paper_out.has_value());
}

BOOST_AUTO_TEST_CASE(error_cause_reply) {
  BOOST_TEST((parse_all({0x12}, {status_request::error_cause})[0].seen.error == std::optional<bool>(false)));
  for (std::uint8_t b : bytes{0x16, 0x1A, 0x32, 0x52}) {
    BOOST_TEST((parse_all({b}, {status_request::error_cause})[0].seen.error == std::optional<bool>(true)));
  }
}

BOOST_AUTO_TEST_CASE(paper_sensor_reply) {
  auto r = parse_all({0x12}, {status_request::paper_sensor});
  BOOST_TEST((r[0].seen.paper_near_end == std::optional<bool>(false)));
  BOOST_TEST((r[0].seen.paper_out == std::optional<bool>(false)));
  BOOST_TEST(!r[0].seen.offline.has_value());

  r = parse_all({0x1E}, {status_request::paper_sensor});  // bits 2-3
  BOOST_TEST((r[0].seen.paper_near_end == std::optional<bool>(true)));
  BOOST_TEST((r[0].seen.paper_out == std::optional<bool>(false)));
  r = parse_all({0x7E}, {status_request::paper_sensor});  // bits 2-3, 5-6
  BOOST_TEST((r[0].seen.paper_near_end == std::optional<bool>(true)));
  BOOST_TEST((r[0].seen.paper_out == std::optional<bool>(true)));
}

BOOST_AUTO_TEST_CASE(replies_follow_request_order) {
  // Same byte, three meanings, in the order the requests were sent.
  const auto r = parse_all({0x1E, 0x1E, 0x1E},
                           {status_request::printer, status_request::offline_cause, status_request::paper_sensor});
  BOOST_REQUIRE_EQUAL(r.size(), 3u);
  BOOST_TEST((r[0].seen.offline == std::optional<bool>(true)));
  BOOST_TEST((r[1].seen.cover_open == std::optional<bool>(true)));
  BOOST_TEST((r[2].seen.paper_near_end == std::optional<bool>(true)));
}

BOOST_AUTO_TEST_CASE(unsolicited_reply_ignored_and_counted) {
  parsed p;
  p.feed(bytes{0x12, 0x1A});
  BOOST_TEST(p.reports.empty());
  BOOST_TEST(p.parser.counters().unsolicited_replies == 2u);
  p.expect(status_request::printer);
  p.feed(bytes{0x1A, 0x12});
  BOOST_REQUIRE_EQUAL(p.reports.size(), 1u);
  BOOST_TEST(p.parser.counters().replies == 1u);
  BOOST_TEST(p.parser.counters().unsolicited_replies == 3u);
}

BOOST_AUTO_TEST_CASE(outstanding_requests_bounded) {
  status_parser p;
  for (std::size_t i = 0; i < status_parser::max_outstanding; ++i) BOOST_TEST(p.expect(status_request::printer));
  BOOST_TEST(!p.expect(status_request::paper_sensor));
  BOOST_TEST(p.outstanding() == status_parser::max_outstanding);
  p.clear_expected();
  BOOST_TEST(p.outstanding() == 0u);
  BOOST_TEST(p.expect(status_request::paper_sensor));
  std::vector<status_report> got;
  p.feed(bytes{0x7E}, [&](const status_report& r) { got.push_back(r); });
  BOOST_REQUIRE_EQUAL(got.size(), 1u);
  BOOST_TEST((got[0].answers == status_request::paper_sensor));
}

BOOST_AUTO_TEST_CASE(asb_blocks) {
  auto r = parse_all(asb_ok, {});
  BOOST_REQUIRE_EQUAL(r.size(), 1u);
  BOOST_TEST(!r[0].answers.has_value());
  BOOST_TEST(r[0].size == 4u);
  BOOST_TEST((r[0].seen.offline == std::optional<bool>(false)));
  BOOST_TEST((r[0].seen.cover_open == std::optional<bool>(false)));
  BOOST_TEST((r[0].seen.error == std::optional<bool>(false)));
  BOOST_TEST((r[0].seen.paper_near_end == std::optional<bool>(false)));
  BOOST_TEST((r[0].seen.paper_out == std::optional<bool>(false)));

  r = parse_all(asb_cover_open, {});
  BOOST_TEST((r[0].seen.offline == std::optional<bool>(true)));
  BOOST_TEST((r[0].seen.cover_open == std::optional<bool>(true)));
  r = parse_all(asb_paper_out, {});
  BOOST_TEST((r[0].seen.paper_out == std::optional<bool>(true)));
  BOOST_TEST((r[0].seen.paper_near_end == std::optional<bool>(false)));
  r = parse_all(asb_near_end, {});
  BOOST_TEST((r[0].seen.paper_near_end == std::optional<bool>(true)));
  BOOST_TEST((r[0].seen.paper_out == std::optional<bool>(false)));
  for (std::uint8_t e : bytes{0x04, 0x08, 0x20, 0x40}) {
    r = parse_all({0x10, e, 0x00, 0x00}, {});
    BOOST_REQUIRE_EQUAL(r.size(), 1u);
    BOOST_TEST((r[0].seen.error == std::optional<bool>(true)));
  }
  // Bit 0 of byte 2 (waiting for online recovery) alone is no error.
  BOOST_TEST((parse_all({0x10, 0x01, 0x00, 0x00}, {})[0].seen.error == std::optional<bool>(false)));
  // The paper feed button (byte 1 bit 6) changes nothing we track.
  BOOST_TEST((parse_all({0x50, 0x00, 0x00, 0x00}, {})[0].seen.offline == std::optional<bool>(false)));
}

BOOST_AUTO_TEST_CASE(interleaved_asb_and_replies) {
  parsed p;
  p.expect(status_request::printer);
  p.expect(status_request::paper_sensor);
  // reply, ASB, a reply inside an ASB block, ASB.
  p.feed(bytes{0x1A, 0x38, 0x00, 0x7E, 0x00, 0x00, 0x10, 0x00, 0x03, 0x00});
  BOOST_REQUIRE_EQUAL(p.reports.size(), 4u);
  BOOST_TEST((p.reports[0].answers == status_request::printer));
  BOOST_TEST((p.reports[0].seen.offline == std::optional<bool>(true)));
  BOOST_TEST((p.reports[1].answers == status_request::paper_sensor));
  BOOST_TEST((p.reports[1].seen.paper_out == std::optional<bool>(true)));
  BOOST_TEST(!p.reports[2].answers.has_value());
  BOOST_TEST((p.reports[2].bytes == std::array<std::uint8_t, 4>{0x38, 0x00, 0x00, 0x00}));
  BOOST_TEST((p.reports[2].seen.cover_open == std::optional<bool>(true)));
  BOOST_TEST((p.reports[3].seen.paper_near_end == std::optional<bool>(true)));
  BOOST_TEST(p.parser.counters().skipped_bytes == 0u);
  BOOST_TEST(p.parser.counters().asb_blocks == 2u);
  BOOST_TEST(p.parser.counters().replies == 2u);
}

BOOST_AUTO_TEST_CASE(garbage_skipped_and_counted) {
  parsed p;
  p.expect(status_request::printer);
  // 0x80..0xFF and continuation bytes outside a block are garbage; a block
  // broken by garbage is dropped (its bytes counted) and the next one read.
  p.feed(bytes{0xFF, 0x00, 0x41, 0x10, 0x00, 0x90, 0x12, 0x18, 0x00, 0x0C, 0x00, 0x10, 0x00});
  BOOST_REQUIRE_EQUAL(p.reports.size(), 2u);
  BOOST_TEST((p.reports[0].answers == status_request::printer));
  BOOST_TEST((p.reports[1].seen.paper_out == std::optional<bool>(true)));
  BOOST_TEST(p.parser.counters().skipped_bytes == 6u);  // FF 00 41, 10 00 (broken block), 90
  BOOST_TEST(p.parser.buffered() == 2u);                // 10 00: a block still being read
  // A new block start drops the partial one.
  p.feed(bytes{0x10, 0x00, 0x00, 0x00});
  BOOST_REQUIRE_EQUAL(p.reports.size(), 3u);
  BOOST_TEST(p.parser.counters().skipped_bytes == 8u);
  BOOST_TEST(p.parser.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(every_split_point_gives_the_same_reports) {
  const bytes stream = {0x41, 0x1A, 0x38, 0x00, 0x7E, 0x00, 0x00, 0xFF, 0x10, 0x00,
                        0x12, 0x10, 0x00, 0x03, 0x00, 0x16, 0x18, 0x40, 0x0C, 0x00};
  const std::vector<status_request> requests = {status_request::printer, status_request::paper_sensor,
                                                status_request::error_cause, status_request::offline_cause};
  const auto whole = parse_all(stream, requests);
  BOOST_REQUIRE_EQUAL(whole.size(), 7u);
  for (std::size_t i = 0; i <= stream.size(); ++i) {
    for (std::size_t j = i; j <= stream.size(); ++j) {
      parsed p;
      for (status_request n : requests) p.expect(n);
      const std::span<const std::uint8_t> s(stream);
      p.feed(s.subspan(0, i));
      p.feed(s.subspan(i, j - i));
      p.feed(s.subspan(j));
      BOOST_REQUIRE_EQUAL(p.reports.size(), whole.size());
      for (std::size_t k = 0; k < whole.size(); ++k) BOOST_TEST(same(p.reports[k], whole[k]), i << "," << j);
    }
  }
}

BOOST_AUTO_TEST_CASE(status_names) {
  BOOST_TEST(to_string(printer_status::online) == "online");
  BOOST_TEST(to_string(printer_status::paper_near_end) == "paper_near_end");
  BOOST_TEST(to_string(printer_status::paper_out) == "paper_out");
  BOOST_TEST(to_string(printer_status::cover_open) == "cover_open");
  BOOST_TEST(to_string(printer_status::offline) == "offline");
  BOOST_TEST(to_string(printer_status::error) == "error");
}

BOOST_AUTO_TEST_CASE(machine_starts_offline_until_told_online) {
  status_machine m;
  BOOST_TEST((m.status() == printer_status::offline));
  // Paper fine, but nothing said the printer is online yet.
  BOOST_TEST(!m.observe(obs().paper_near_end(false).paper_out(false)).has_value());
  const auto t = m.observe(obs().offline(false));
  BOOST_REQUIRE(t.has_value());
  BOOST_TEST((t->from == printer_status::offline));
  BOOST_TEST((t->to == printer_status::online));
  BOOST_TEST(t->reason == "printer online");
}

BOOST_AUTO_TEST_CASE(machine_precedence) {
  status_machine m;
  (void)m.observe(obs().offline(false));
  BOOST_TEST((m.status() == printer_status::online));
  (void)m.observe(obs().paper_near_end(true));
  BOOST_TEST((m.status() == printer_status::paper_near_end));
  (void)m.observe(obs().offline(true));
  BOOST_TEST((m.status() == printer_status::offline));
  (void)m.observe(obs().paper_out(true));
  BOOST_TEST((m.status() == printer_status::paper_out));
  (void)m.observe(obs().cover_open(true));
  BOOST_TEST((m.status() == printer_status::cover_open));
  (void)m.observe(obs().error(true));
  BOOST_TEST((m.status() == printer_status::error));
  // Clearing from the top walks back down.
  (void)m.observe(obs().error(false));
  BOOST_TEST((m.status() == printer_status::cover_open));
  (void)m.observe(obs().cover_open(false));
  BOOST_TEST((m.status() == printer_status::paper_out));
  (void)m.observe(obs().paper_out(false));
  BOOST_TEST((m.status() == printer_status::offline));
  (void)m.observe(obs().offline(false));
  BOOST_TEST((m.status() == printer_status::paper_near_end));
  (void)m.observe(obs().paper_near_end(false));
  BOOST_TEST((m.status() == printer_status::online));
}

BOOST_AUTO_TEST_CASE(machine_paper_out_then_ok_one_transition_each) {
  status_machine m;
  (void)m.observe(obs().offline(false).cover_open(false).paper_near_end(false).paper_out(false).error(false));
  std::vector<transition> log;
  const auto apply = [&](const observation& o) {
    if (auto t = m.observe(o)) log.push_back(*t);
  };
  const observation out = obs().offline(true).paper_near_end(true).paper_out(true);
  const observation ok = obs().offline(false).paper_near_end(false).paper_out(false);
  // Polled many times, ASB and DLE EOT saying the same thing.
  for (int i = 0; i < 5; ++i) apply(out);
  for (int i = 0; i < 5; ++i) apply(ok);
  BOOST_REQUIRE_EQUAL(log.size(), 2u);
  BOOST_TEST((log[0].from == printer_status::online));
  BOOST_TEST((log[0].to == printer_status::paper_out));
  BOOST_TEST(log[0].reason == "paper out");
  BOOST_TEST((log[1].from == printer_status::paper_out));
  BOOST_TEST((log[1].to == printer_status::online));
  BOOST_TEST(log[1].reason == "paper loaded");
  for (const auto& t : log) BOOST_TEST((t.from != t.to));
}

BOOST_AUTO_TEST_CASE(machine_fed_by_parser) {
  parsed p;
  status_machine m;
  std::vector<transition> log;
  const auto pump = [&](const bytes& b) {
    p.feed(b);
    for (const auto& r : p.reports)
      if (auto t = m.observe(r.seen)) log.push_back(*t);
    p.reports.clear();
  };
  pump(asb_ok);
  pump(asb_cover_open);
  pump(asb_cover_open);
  pump(asb_ok);
  BOOST_REQUIRE_EQUAL(log.size(), 3u);
  BOOST_TEST((log[1].to == printer_status::cover_open));
  BOOST_TEST(log[1].reason == "cover open");
  BOOST_TEST((log[2].to == printer_status::online));
  BOOST_TEST(log[2].reason == "cover closed");
}

BOOST_AUTO_TEST_CASE(machine_no_reply) {
  status_machine m;
  (void)m.observe(obs().offline(false).cover_open(true));
  BOOST_TEST((m.status() == printer_status::cover_open));
  auto t = m.no_reply();
  BOOST_REQUIRE(t.has_value());
  BOOST_TEST((t->from == printer_status::cover_open));
  BOOST_TEST((t->to == printer_status::offline));
  BOOST_TEST(t->reason == "no status reply");
  // Again: already offline, no duplicate transition.
  BOOST_TEST(!m.no_reply().has_value());
  // Stale facts are gone: an online reply alone brings it back.
  t = m.observe(obs().offline(false));
  BOOST_REQUIRE(t.has_value());
  BOOST_TEST((t->to == printer_status::online));
  BOOST_TEST(!m.observe(obs().offline(false)).has_value());
}
