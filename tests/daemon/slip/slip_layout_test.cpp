#include <boost/test/unit_test.hpp>


#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "drivers/escpos/encoder.hpp"
#include "drivers/escpos/profile.hpp"
#include "common/png.hpp"
#include "slip/slip_layout.hpp"
#include "slip/slip_number.hpp"
#include "support/escpos_decoder.hpp"
#include "support/zbar_scan.hpp"

namespace slip = ravao::slip;
using ravao::raster;

namespace {

slip::fonts& shared_fonts() {
  static slip::fonts f = [] {
    auto r = slip::fonts::open_default();
    if (!r) throw std::runtime_error(r.error().message());
    return std::move(*r);
  }();
  return f;
}

const std::vector<int> widths = {384, 576};

const ravao::escpos::printer_profile& profile_for(int width) {
  return ravao::escpos::generic_profile(width >= 576 ? 80 : 58);
}

// What the printer would print: the raster through the ESC/POS encoder and
// back through the strict test decoder (no byte but raster commands).
raster printed(const raster& image) {
  auto job = ravao::escpos::encode_raster_job(image, profile_for(image.width));
  BOOST_REQUIRE_MESSAGE(job, (job ? std::string() : job.error().message()));
  auto stream = ravao::test::decode_escpos(job->bytes);
  BOOST_REQUIRE_MESSAGE(stream, (stream ? std::string() : stream.error().message()));
  BOOST_REQUIRE_EQUAL(stream->pages.size(), 1u);
  BOOST_TEST((stream->pages[0] == image));
  return stream->pages[0];
}

// Every QR code zbar finds on the page, sorted.
std::vector<std::string> zbar_scan(const raster& page) {
  auto found = ravao::test::zbar_scan(page);
  std::sort(found.begin(), found.end());
  return found;
}

slip::slip_content sample_slip() {
  slip::slip_content c;
  c.site_name = "Bưu điện Văn hóa xã Tân Phú";
  c.counter_name = "Quầy 1";
  c.issued_at = "23/11/2026 14:05";
  c.slip_number = slip::format_slip_number(17);
  return c;
}

raster render_ok(const slip::slip_content& c, int width) {
  auto r = slip::render_slip(shared_fonts(), c, width);
  BOOST_REQUIRE_MESSAGE(r, (r ? std::string() : r.error().message()));
  BOOST_REQUIRE_EQUAL(r->width, width);
  BOOST_REQUIRE_GT(r->height, 0);
  BOOST_REQUIRE_EQUAL(r->bits.size(), static_cast<std::size_t>(r->height) * r->stride());
  return std::move(*r);
}

bool is_invalid_argument(const ravao::error& e) { return e.code == ravao::errc::invalid_argument; }

// Hostile text: printer commands (ESC @, GS V 0: reset and cut), ill-formed
// UTF-8, controls and bidirectional overrides, and far too much of it.
const std::vector<std::string> hostile = {
    std::string("\x1b@\x1dV\x00", 5) + "Quầy\x1b" "E\x01",
    "\xff\xfe\xc3\x28\xe1\x80\xf0\x28\x8c\x28 invalid \xed\xa0\x80",
    "\u202e\u2066abc\u2028\r\n\t\x7f\xc2\x85",
    std::string(10 * 1024, 'W'),
    [] {
      std::string s;
      while (s.size() < 10 * 1024) s += "Nguyễn Thị Hoàng Oanh \xe1\xbb ";
      return s;
    }(),
    "",
};

}  // namespace

BOOST_AUTO_TEST_CASE(slip_is_as_wide_as_the_paper_and_its_qr_reads_back) {
  for (const int w : widths) {
    BOOST_TEST_CONTEXT("width " << w) {
      const slip::slip_content c = sample_slip();
      const raster r = render_ok(c, w);
      BOOST_TEST(zbar_scan(printed(r)) == std::vector<std::string>{"RAVAO:SLIP:000174"},
                 boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(the_longest_slip_number_still_scans) {
  for (const int w : widths) {
    slip::slip_content c = sample_slip();
    c.slip_number = slip::format_slip_number(slip::max_slip_sequence);
    const raster r = render_ok(c, w);
    BOOST_TEST(zbar_scan(printed(r)) == std::vector<std::string>{slip::slip_qr_text(c.slip_number)},
               boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(rendering_is_deterministic_and_the_label_cache_changes_nothing) {
  const raster a = render_ok(sample_slip(), 576);
  const raster b = render_ok(sample_slip(), 576);
  BOOST_TEST((a == b));
  auto fresh = slip::fonts::open_default();
  BOOST_REQUIRE(fresh);
  BOOST_TEST(fresh->drawn.empty());
  auto c = slip::render_slip(*fresh, sample_slip(), 576);
  BOOST_REQUIRE(c);
  BOOST_TEST((*c == a));
  BOOST_TEST(!fresh->drawn.empty());
}

BOOST_AUTO_TEST_CASE(a_card_with_the_console_address_is_taller) {
  const slip::card_content plain{.site_name = "Bưu điện", .counter_id = "q1", .counter_name = "Quầy 1"};
  const slip::card_content with{
      .site_name = "Bưu điện", .counter_id = "q1", .counter_name = "Quầy 1",
      .console_url = std::string("https://192.168.1.10:8443/"),
      .console_fingerprint =
          std::string("5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E:5E")};
  for (const int width : {384, 576}) {
    const auto a = slip::render_command_card(shared_fonts(), plain, width);
    const auto b = slip::render_command_card(shared_fonts(), with, width);
    BOOST_TEST_REQUIRE(a.has_value());
    BOOST_TEST_REQUIRE(b.has_value());
    BOOST_TEST(b->height > a->height);
  }
}

BOOST_AUTO_TEST_CASE(untrusted_text_is_never_cached) {
  slip::slip_content c = sample_slip();
  c.site_name = "Site-ZQX-1";
  c.counter_name = "Counter-ZQX-2";
  c.issued_at = "Time-ZQX-3";
  c.person_name = "Name-ZQX-4";
  c.person_id_masked = "Id-ZQX-5";
  render_ok(c, 384);
  BOOST_TEST(slip::render_command_card(shared_fonts(),
                                       {.site_name = "Site-ZQX-6", .counter_id = "q1", .counter_name = "C-ZQX-7"},
                                       384)
                 .has_value());
  BOOST_TEST(slip::render_test_page(shared_fonts(),
                                    {.site_name = "S-ZQX-8", .printer_id = "P-ZQX-9", .profile_name = "Pr-ZQX-10",
                                     .printed_at = "T-ZQX-11"},
                                    384)
                 .has_value());
  for (const auto& [key, image] : shared_fonts().drawn) {
    BOOST_TEST_CONTEXT(key) {
      BOOST_TEST(key.find("ZQX") == std::string::npos);
      BOOST_TEST(key.find("00017") == std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(preprinted_name_and_reprint_change_the_image) {
  for (const int w : widths) {
    BOOST_TEST_CONTEXT("width " << w) {
      const raster plain = render_ok(sample_slip(), w);

      slip::slip_content named = sample_slip();
      named.person_name = "NGUYỄN VĂN AN";
      named.person_id_masked = "**********45";
      const raster with_name = render_ok(named, w);
      BOOST_TEST(!(with_name == plain));

      slip::slip_content only_name = sample_slip();
      only_name.person_name = "NGUYỄN VĂN AN";
      BOOST_TEST(!(render_ok(only_name, w) == plain));
      BOOST_TEST(!(render_ok(only_name, w) == with_name));

      slip::slip_content reprint = sample_slip();
      reprint.reprint = true;
      const raster again = render_ok(reprint, w);
      BOOST_TEST(!(again == plain));
      BOOST_TEST(again.height > plain.height);  // the banner takes room
      BOOST_TEST(zbar_scan(printed(again)) == std::vector<std::string>{"RAVAO:SLIP:000174"},
                 boost::test_tools::per_element());

      slip::slip_content longer = sample_slip();
      longer.retention_days = 14;
      BOOST_TEST(!(render_ok(longer, w) == plain));
    }
  }
}

BOOST_AUTO_TEST_CASE(long_values_wrap_inside_the_paper) {
  std::string site;
  while (site.size() < 600) site += "Bưu điện Văn hóa xã Tân Phú huyện Đồng Phú tỉnh Bình Phước ";
  for (const int w : widths) {
    BOOST_TEST_CONTEXT("width " << w) {
      const raster plain = render_ok(sample_slip(), w);
      slip::slip_content c = sample_slip();
      c.site_name = site;
      c.counter_name = site;
      c.person_name = "Công Tằng Tôn Nữ Hoàng Thị Thiên Hương Nguyễn Phước Bảo Ngọc Diễm Quỳnh Như";
      c.person_id_masked = "**********45";
      const raster r = render_ok(c, w);
      BOOST_TEST(r.height > plain.height);
      BOOST_TEST(zbar_scan(printed(r)) == std::vector<std::string>{"RAVAO:SLIP:000174"},
                 boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(hostile_text_renders_as_pixels) {
  for (const int w : widths) {
    for (std::size_t i = 0; i < hostile.size(); ++i) {
      BOOST_TEST_CONTEXT("width " << w << ", input " << i) {
        const std::string& h = hostile[i];
        slip::slip_content c = sample_slip();
        c.site_name = c.counter_name = c.issued_at = h;
        c.person_name = c.person_id_masked = h;
        const raster r = render_ok(c, w);
        // A hostile value is cut, so it costs some lines, not metres of paper.
        BOOST_TEST(r.height < 8 * 1000);
        BOOST_TEST(zbar_scan(printed(r)) == std::vector<std::string>{"RAVAO:SLIP:000174"},
                   boost::test_tools::per_element());

        auto card = slip::render_command_card(shared_fonts(), {.site_name = h, .counter_id = "q1", .counter_name = h}, w);
        BOOST_REQUIRE_MESSAGE(card, (card ? std::string() : card.error().message()));
        BOOST_TEST(card->width == w);
        printed(*card);

        auto test = slip::render_test_page(
            shared_fonts(), {.site_name = h, .printer_id = h, .profile_name = h, .printed_at = h}, w);
        BOOST_REQUIRE_MESSAGE(test, (test ? std::string() : test.error().message()));
        BOOST_TEST(test->width == w);
        printed(*test);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(slip_refuses_what_cannot_be_printed_right) {
  slip::slip_content c = sample_slip();
  for (const int w : {0, -384, 100, 385, 5000}) {
    auto r = slip::render_slip(shared_fonts(), c, w);
    BOOST_TEST_CONTEXT(w) {
      BOOST_REQUIRE(!r);
      BOOST_TEST(is_invalid_argument(r.error()));
    }
  }
  for (const char* bad : {"", "000171", "00017-4", "17", "RAVAO", "00000000000000174"}) {
    c.slip_number = bad;
    auto r = slip::render_slip(shared_fonts(), c, 576);
    BOOST_TEST_CONTEXT(bad) {
      BOOST_REQUIRE(!r);
      BOOST_TEST(is_invalid_argument(r.error()));
    }
  }
  c = sample_slip();
  c.retention_days = 0;
  BOOST_TEST(!slip::render_slip(shared_fonts(), c, 576));
}

BOOST_AUTO_TEST_CASE(command_card_codes_read_back) {
  BOOST_REQUIRE_EQUAL(slip::card_commands().size(), 4u);
  for (const int w : widths) {
    for (const std::string id : {"q1", "quay-01_ABCDEFGHIJKLMNOPQRSTUVWX"}) {  // 2 and 32 characters
      BOOST_TEST_CONTEXT("width " << w << ", counter " << id) {
        auto card = slip::render_command_card(
            shared_fonts(), {.site_name = "Bưu điện tỉnh Gia Lai", .counter_id = id, .counter_name = "Quầy 1"}, w);
        BOOST_REQUIRE_MESSAGE(card, (card ? std::string() : card.error().message()));
        BOOST_TEST(card->width == w);
        std::vector<std::string> expected;
        for (const auto& cmd : slip::card_commands()) {
          expected.push_back("RAVAO:CMD:" + std::string(cmd.verb) + ":" + id);
          BOOST_TEST(!cmd.label.empty());
        }
        std::sort(expected.begin(), expected.end());
        BOOST_TEST(zbar_scan(printed(*card)) == expected, boost::test_tools::per_element());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(command_card_refuses_a_counter_id_the_scanner_would_not_take) {
  for (const std::string& id : std::vector<std::string>{"", "quầy 1", "a:b", std::string(33, 'a'), std::string("\x1b@", 2)}) {
    auto card = slip::render_command_card(shared_fonts(), {.site_name = "x", .counter_id = id, .counter_name = "x"},
                                          576);
    BOOST_TEST_CONTEXT(id) {
      BOOST_REQUIRE(!card);
      BOOST_TEST(is_invalid_argument(card.error()));
    }
  }
}

BOOST_AUTO_TEST_CASE(test_page_has_a_full_width_ruler_and_a_qr_code) {
  for (const int w : widths) {
    BOOST_TEST_CONTEXT("width " << w) {
      auto page = slip::render_test_page(
          shared_fonts(),
          {.site_name = "Bưu điện tỉnh Đắk Lắk", .printer_id = "p1", .profile_name = "generic-80",
           .printed_at = "23/11/2026 14:05"},
          w);
      BOOST_REQUIRE_MESSAGE(page, (page ? std::string() : page.error().message()));
      BOOST_TEST(page->width == w);
      BOOST_TEST(zbar_scan(printed(*page)) == std::vector<std::string>{"RAVAO:TEST"},
                 boost::test_tools::per_element());
      // The ruler's line and the black band reach both edges of the paper,
      // and the ruler has a tick at the first and the last dot.
      int full_rows = 0;
      for (int y = 0; y < page->height; ++y) {
        bool full = true;
        for (int x = 0; x < w && full; ++x) full = page->get(x, y);
        full_rows += full ? 1 : 0;
      }
      BOOST_TEST(full_rows >= 2 + 24);
    }
  }
}

BOOST_AUTO_TEST_CASE(stack_places_parts_at_the_left) {
  raster a(16, 2);
  a.bits = {0xFF, 0x01, 0x80, 0x00};
  raster b(8, 1);
  b.bits = {0x0F};
  auto s = slip::stack({a, b, raster(24, 0)}, 24);
  BOOST_REQUIRE(s);
  BOOST_TEST(s->width == 24);
  BOOST_TEST(s->height == 3);
  const std::vector<std::uint8_t> expected = {0xFF, 0x01, 0x00, 0x80, 0x00, 0x00, 0x0F, 0x00, 0x00};
  BOOST_TEST(s->bits == expected, boost::test_tools::per_element());
  BOOST_TEST(!slip::stack({raster(32, 1)}, 24));
  BOOST_TEST(!slip::stack({a}, 20));
  raster broken(16, 3);
  broken.bits.pop_back();
  BOOST_TEST(!slip::stack({broken}, 16));
  auto empty = slip::stack({}, 8);
  BOOST_REQUIRE(empty);
  BOOST_TEST(empty->height == 0);
}

// Writes PNG previews of the layouts when RAVAO_SLIP_PREVIEW_DIR names a
// directory (for people to look at; nothing is checked beyond writing them).
BOOST_AUTO_TEST_CASE(previews_when_asked) {
  const char* dir = std::getenv("RAVAO_SLIP_PREVIEW_DIR");
  if (dir == nullptr) return;
  const std::filesystem::path out(dir);
  for (const int w : widths) {
    const std::string mm = w >= 576 ? "80" : "58";
    slip::slip_content c = sample_slip();
    BOOST_TEST(slip::write_png(render_ok(c, w), out / ("slip-" + mm + ".png")).has_value());
    c.person_name = "NGUYỄN VĂN AN";
    c.person_id_masked = "**********45";
    c.reprint = true;
    BOOST_TEST(slip::write_png(render_ok(c, w), out / ("slip-named-" + mm + ".png")).has_value());
    auto card = slip::render_command_card(
        shared_fonts(), {.site_name = "Bưu điện tỉnh Gia Lai", .counter_id = "q1", .counter_name = "Quầy 1"}, w);
    BOOST_REQUIRE(card);
    BOOST_TEST(slip::write_png(*card, out / ("card-" + mm + ".png")).has_value());
    auto test = slip::render_test_page(
        shared_fonts(),
        {.site_name = "Bưu điện tỉnh Đắk Lắk", .printer_id = "p1", .profile_name = w >= 576 ? "generic-80" : "generic-58",
         .printed_at = "23/11/2026 14:05"},
        w);
    BOOST_REQUIRE(test);
    BOOST_TEST(slip::write_png(*test, out / ("test-" + mm + ".png")).has_value());
  }
}

BOOST_AUTO_TEST_CASE(poster_qr_reads_back_on_both_papers_and_hostile_site_names_stay_pixels) {
  const std::string code = "https://tokhaiyte.vn/checkin?place=BD-TEST-0042&v=2";
  for (const int width : widths) {
    for (const auto& name : {std::string("Bưu điện Văn hóa xã Tân Phú"), hostile[0], hostile[3]}) {
      auto r = slip::render_poster(shared_fonts(), slip::poster_content{name, code}, width);
      BOOST_TEST_REQUIRE(r.has_value(), (r ? std::string() : r.error().message()));
      BOOST_TEST(r->width == width);
      BOOST_TEST(zbar_scan(printed(*r)) == std::vector<std::string>{code}, "width " << width);
    }
  }
}

BOOST_AUTO_TEST_CASE(declaration_copy_draws_answers_and_says_when_they_are_gone) {
  slip::declaration_copy_content c;
  c.site_name = "Bưu điện Văn hóa xã Tân Phú";
  c.counter_name = "Quầy 1";
  c.declared_at = "23/11/2026 14:05";
  c.record = 88;
  c.person_name_masked = "LÊ T. H.";
  c.person_id_masked = "**********45";
  c.actor = "web:alice";
  for (const int width : widths) {
    auto without = slip::render_declaration_copy(shared_fonts(), c, width);
    BOOST_TEST_REQUIRE(without.has_value());
    auto with_answers = c;
    with_answers.answers = {{"Điện thoại", "0912345678"}, {"Địa chỉ", hostile[2]}, {"Sốt", "Không"}};
    auto with = slip::render_declaration_copy(shared_fonts(), with_answers, width);
    BOOST_TEST_REQUIRE(with.has_value());
    BOOST_TEST(with->width == width);
    BOOST_TEST(!(*with == *without));
    printed(*with);
  }
}

BOOST_AUTO_TEST_CASE(slip_prints_the_form_definition_it_carries) {
  for (const int width : widths) {
    BOOST_TEST_CONTEXT("width " << width) {
      const raster builtin = render_ok(sample_slip(), width);
      // Without a form the built-in one is printed: the same image as carrying it.
      slip::slip_content with_default = sample_slip();
      with_default.form = slip::default_form();
      BOOST_TEST((render_ok(with_default, width) == builtin));

      // A province's short form: fewer rows, a shorter slip whose QR still reads.
      slip::slip_content small = sample_slip();
      slip::form_definition form;
      form.consent = "Tôi đồng ý ({retention_days} ngày).";
      form.fields.push_back({.name = "name", .label = "Họ và tên", .type = slip::field_type::text, .required = true});
      form.fields.push_back({.name = "q", .label = "Ho", .type = slip::field_type::yes_no});
      small.form = form;
      const raster short_slip = render_ok(small, width);
      BOOST_TEST(short_slip.height < builtin.height);
      BOOST_TEST(zbar_scan(printed(short_slip)) == std::vector<std::string>{"RAVAO:SLIP:000174"},
                 boost::test_tools::per_element());

      // Many long options wrap onto further lines inside the paper.
      slip::form_field many{.name = "job", .label = "Nghề nghiệp", .type = slip::field_type::choice};
      for (int i = 0; i < 20; ++i)
        many.options.push_back({"o" + std::to_string(i), "Lựa chọn dài số " + std::to_string(i), {}});
      form.fields.push_back(many);
      small.form = form;
      const raster wrapped = render_ok(small, width);
      BOOST_TEST(wrapped.height > short_slip.height + 3 * 30);
      BOOST_TEST(zbar_scan(printed(wrapped)).size() == 1u);
    }
  }
}
