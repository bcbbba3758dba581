#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/text.hpp"
#include "drivers/frame.hpp"

using ravao::line_framer;
using ravao::sanitize_frame;
using namespace std::string_literals;

namespace {

// Records everything a framer reports.
struct recorder {
  std::vector<std::string> frames;
  std::vector<std::pair<std::size_t, std::string>> overflows;
  line_framer::frame_sink on_frame = [this](std::string_view l) { frames.emplace_back(l); };
  line_framer::overflow_sink on_overflow = [this](std::size_t n, std::string_view head) {
    overflows.emplace_back(n, std::string(head));
  };

  void feed(line_framer& f, std::string_view bytes) {
    f.feed(std::span<const char>(bytes.data(), bytes.size()), on_frame, on_overflow);
  }
  void flush(line_framer& f) { f.flush(on_frame, on_overflow); }
};

using strings = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_CASE(frames_end_at_cr_lf_and_crlf) {
  line_framer f(1024);
  recorder r;
  r.feed(f, "a\nb\rc\r\nd\n\re\n");
  BOOST_TEST(r.frames == (strings{"a", "b", "c", "d", "e"}));
  BOOST_TEST(r.overflows.empty());
  BOOST_TEST(f.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(empty_frames_are_ignored) {
  line_framer f(1024);
  recorder r;
  r.feed(f, "\n\n\r\r\n\r\nx\n\n");
  BOOST_TEST(r.frames == (strings{"x"}));
}

BOOST_AUTO_TEST_CASE(crlf_split_across_feeds_is_one_terminator) {
  line_framer f(1024);
  recorder r;
  r.feed(f, "first\r");
  BOOST_TEST(r.frames == (strings{"first"}));
  r.feed(f, "\nsecond\r");
  r.feed(f, "\n");
  r.feed(f, "third\n");
  BOOST_TEST(r.frames == (strings{"first", "second", "third"}));
  BOOST_TEST(f.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(partial_lines_are_buffered_across_feeds) {
  line_framer f(1024);
  recorder r;
  r.feed(f, "0010990");
  BOOST_TEST(r.frames.empty());
  BOOST_TEST(f.buffered() == 7u);
  r.feed(f, "12345|x");
  r.feed(f, "\r\nnext");
  BOOST_TEST(r.frames == (strings{"001099012345|x"}));
  BOOST_TEST(f.buffered() == 4u);
  r.flush(f);  // end of stream: the partial line is a frame
  BOOST_TEST(r.frames == (strings{"001099012345|x", "next"}));
  BOOST_TEST(f.buffered() == 0u);
  r.flush(f);  // nothing pending: nothing reported
  BOOST_TEST(r.frames.size() == 2u);
}

BOOST_AUTO_TEST_CASE(line_of_exactly_max_bytes_is_accepted) {
  line_framer f(8);
  recorder r;
  r.feed(f, "1234");
  r.feed(f, "5678\n");
  BOOST_TEST(r.frames == (strings{"12345678"}));
  BOOST_TEST(r.overflows.empty());
}

BOOST_AUTO_TEST_CASE(overlong_line_is_reported_once_with_full_length) {
  line_framer f(8);
  recorder r;
  r.feed(f, "12345");
  r.feed(f, "6789");
  BOOST_TEST(f.buffered() == 0u);  // discarded as soon as it is too long
  BOOST_TEST(r.overflows.empty()); // reported when the line ends
  r.feed(f, "abc");
  r.feed(f, "\r");
  r.feed(f, "\nok\n");
  BOOST_REQUIRE(r.overflows.size() == 1u);
  BOOST_TEST(r.overflows[0].first == 12u);
  BOOST_TEST(r.overflows[0].second == "123456789abc");
  BOOST_TEST(r.frames == (strings{"ok"}));
}

BOOST_AUTO_TEST_CASE(megabyte_without_newline_stays_bounded) {
  const std::size_t max = 4096;
  line_framer f(max);
  recorder r;
  std::string chunk(1000, 'Z');
  chunk[0] = 'H';
  std::size_t fed = 0;
  while (fed < 1024 * 1024) {
    const std::size_t n = std::min(chunk.size(), 1024 * 1024 - fed);
    r.feed(f, std::string_view(chunk).substr(0, n));
    fed += n;
    BOOST_REQUIRE(f.buffered() <= max);
  }
  BOOST_TEST(r.overflows.empty());
  BOOST_TEST(r.frames.empty());
  r.feed(f, "\nRAVAO:SLIP:A1B2\n");
  BOOST_REQUIRE(r.overflows.size() == 1u);
  BOOST_TEST(r.overflows[0].first == 1024u * 1024u);
  BOOST_TEST(r.overflows[0].second.size() == 32u);
  BOOST_TEST(r.overflows[0].second.starts_with("HZZ"));
  BOOST_TEST(r.frames == (strings{"RAVAO:SLIP:A1B2"}));
}

BOOST_AUTO_TEST_CASE(single_huge_chunk_never_grows_the_buffer) {
  line_framer f(64);
  recorder r;
  const std::string big(1024 * 1024, 'x');
  r.feed(f, big);
  BOOST_TEST(f.buffered() == 0u);
  r.flush(f);  // end of stream while discarding: reported as overflow
  BOOST_REQUIRE(r.overflows.size() == 1u);
  BOOST_TEST(r.overflows[0].first == big.size());
  BOOST_TEST(r.frames.empty());
}

BOOST_AUTO_TEST_CASE(zero_max_bytes_rejects_every_line) {
  line_framer f(0);
  recorder r;
  r.feed(f, "a\n\nbc\n");
  BOOST_TEST(r.frames.empty());
  BOOST_REQUIRE(r.overflows.size() == 2u);
  BOOST_TEST(r.overflows[0].first == 1u);
  BOOST_TEST(r.overflows[1].first == 2u);
}

BOOST_AUTO_TEST_CASE(throwing_sink_leaves_framer_usable) {
  line_framer f(64);
  int calls = 0;
  std::vector<std::string> frames;
  const line_framer::frame_sink throwing = [&](std::string_view l) {
    if (++calls == 1) throw std::runtime_error("sink failed");
    frames.emplace_back(l);
  };
  const line_framer::overflow_sink ignore = [](std::size_t, std::string_view) {};
  const std::string_view first = "one\ntwo\n";
  BOOST_CHECK_THROW(f.feed(std::span<const char>(first.data(), first.size()), throwing, ignore),
                    std::runtime_error);
  BOOST_TEST(f.buffered() == 0u);
  const std::string_view second = "three\n";
  f.feed(std::span<const char>(second.data(), second.size()), throwing, ignore);
  BOOST_TEST(frames == (strings{"three"}));
}

BOOST_AUTO_TEST_CASE(sanitize_plain_payload) {
  const auto r = sanitize_frame("001099012345|123456789|Nguyễn Văn An");
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->text == "001099012345|123456789|Nguyễn Văn An");
  BOOST_TEST(r->symbology == "");
  BOOST_TEST(!r->had_bom);
}

BOOST_AUTO_TEST_CASE(sanitize_strips_bom_aim_and_spaces) {
  const auto bom = sanitize_frame("\xEF\xBB\xBF" "abc");
  BOOST_REQUIRE(bom.has_value());
  BOOST_TEST(bom->text == "abc");
  BOOST_TEST(bom->had_bom);

  const auto aim = sanitize_frame("]Q1RAVAO:CMD:PRINT_SLIP");
  BOOST_REQUIRE(aim.has_value());
  BOOST_TEST(aim->symbology == "]Q1");
  BOOST_TEST(aim->text == "RAVAO:CMD:PRINT_SLIP");

  const auto dm = sanitize_frame("]d2010123");
  BOOST_REQUIRE(dm.has_value());
  BOOST_TEST(dm->symbology == "]d2");
  BOOST_TEST(dm->text == "010123");

  // Both orders of AIM prefix and BOM.
  for (const std::string raw : {"\xEF\xBB\xBF]Q1 x\t", "]Q1\xEF\xBB\xBF x\t"}) {
    const auto both = sanitize_frame(raw);
    BOOST_REQUIRE(both.has_value());
    BOOST_TEST(both->symbology == "]Q1");
    BOOST_TEST(both->had_bom);
    BOOST_TEST(both->text == "x");
  }

  const auto spaced = sanitize_frame(" \t a b \t ");
  BOOST_REQUIRE(spaced.has_value());
  BOOST_TEST(spaced->text == "a b");
}

BOOST_AUTO_TEST_CASE(sanitize_aim_only_when_followed_by_data) {
  const auto alone = sanitize_frame("]Q1");
  BOOST_REQUIRE(alone.has_value());
  BOOST_TEST(alone->symbology == "");
  BOOST_TEST(alone->text == "]Q1");
  const auto not_aim = sanitize_frame("]QXabc");
  BOOST_REQUIRE(not_aim.has_value());
  BOOST_TEST(not_aim->symbology == "");
  BOOST_TEST(not_aim->text == "]QXabc");
  const auto digit_first = sanitize_frame("]11abc");
  BOOST_REQUIRE(digit_first.has_value());
  BOOST_TEST(digit_first->symbology == "");
}

BOOST_AUTO_TEST_CASE(sanitize_keeps_tab_and_gs1_separators) {
  const std::string gs1 = "0109501101530003\x1D" "10ABC\x1E\x1C\x04" "x\ty";
  const auto r = sanitize_frame("]C1" + gs1);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->symbology == "]C1");
  BOOST_TEST(r->text == gs1);
}

BOOST_AUTO_TEST_CASE(sanitize_does_not_normalise) {
  const std::string nfd = "Nu\u031B\u0303";
  const auto r = sanitize_frame(nfd);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->text == nfd);
}

BOOST_AUTO_TEST_CASE(sanitize_rejects_nul_anywhere) {
  const std::string raw = "]Q1ab\x1B" "c\0d"s;
  const auto r = sanitize_frame(raw);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().reason == "nul_byte");  // NUL wins over the earlier ESC
  BOOST_TEST(r.error().offset == 7u);         // offset in the raw line
  BOOST_TEST(r.error().length == raw.size());
  BOOST_TEST(r.error().preview == ravao::text::hex_prefix(raw));
}

BOOST_AUTO_TEST_CASE(sanitize_rejects_control_bytes) {
  const auto esc = sanitize_frame("\xEF\xBB\xBF" "ab\x1B@");  // ESC/POS initialise
  BOOST_REQUIRE(!esc.has_value());
  BOOST_TEST(esc.error().reason == "control_byte");
  BOOST_TEST(esc.error().offset == 5u);
  BOOST_TEST(esc.error().preview == "efbbbf61621b40");
  for (const std::string raw : {"a\x7F", "a\rb", "a\nb", "\x01", "a\x1F", "a\x0C"}) {
    const auto r = sanitize_frame(raw);
    BOOST_REQUIRE(!r.has_value());
    BOOST_TEST(r.error().reason == "control_byte");
  }
}

BOOST_AUTO_TEST_CASE(sanitize_rejects_invalid_utf8) {
  for (const auto& [raw, offset] : std::vector<std::pair<std::string, std::size_t>>{
           {"abc\xFF", 3}, {"ab\xC0\x80", 2}, {"\xED\xA0\x80", 0}, {"]Q1x\xE1\xBB", 4}}) {
    const auto r = sanitize_frame(raw);
    BOOST_REQUIRE(!r.has_value());
    BOOST_TEST(r.error().reason == "invalid_utf8");
    BOOST_TEST(r.error().offset == offset);
  }
}

BOOST_AUTO_TEST_CASE(sanitize_rejects_empty_result) {
  for (const std::string raw : {"", " ", "\t \t", "\xEF\xBB\xBF", "\xEF\xBB\xBF  ", "]Q1  "}) {
    const auto r = sanitize_frame(raw);
    BOOST_REQUIRE(!r.has_value());
    BOOST_TEST(r.error().reason == "empty");
    BOOST_TEST(r.error().length == raw.size());
  }
}
