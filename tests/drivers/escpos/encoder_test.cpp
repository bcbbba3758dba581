#include <boost/test/unit_test.hpp>

#include <qrencode.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/raster.hpp"
#include "drivers/escpos/encoder.hpp"
#include "drivers/escpos/profile.hpp"
#include "support/escpos_decoder.hpp"
#include "support/zbar_scan.hpp"

using ravao::raster;
using namespace ravao::escpos;
using ravao::test::decode_escpos;
using ravao::test::zbar_scan;
using ravao::test::escpos_command;
using bytes = std::vector<std::uint8_t>;

namespace {

// A small printer so exact byte sequences stay readable: 32 dots, 2-row bands.
constexpr printer_profile tiny{.name = "tiny", .dots_per_line = 32, .band_height = 2, .native_qr = false,
                               .cutter = true, .leave_double_byte_mode = true, .feed_lines = 2};

raster random_raster(int w, int h, unsigned seed) {
  raster r(w, h);
  std::mt19937 rng(seed);
  for (auto& b : r.bits) b = static_cast<std::uint8_t>(rng());
  return r;
}

job encode_ok(const raster& r, const printer_profile& p, alignment a = alignment::center) {
  auto j = encode_raster_job(r, p, a);
  BOOST_REQUIRE_MESSAGE(j, (j ? std::string() : j.error().message()));
  return std::move(*j);
}

ravao::test::escpos_stream decode_ok(const bytes& b) {
  auto d = decode_escpos(b);
  BOOST_REQUIRE_MESSAGE(d, (d ? std::string() : d.error().message()));
  return std::move(*d);
}

std::vector<int> band_heights(const ravao::test::escpos_stream& s) {
  std::vector<int> h;
  for (const auto& c : s.commands)
    if (c.what == escpos_command::kind::raster) h.push_back(c.height);
  return h;
}

// The QR code for `text` as a raster: `scale` dots per module and a quiet
// zone of `quiet` modules, width rounded up to whole bytes (white).
raster qr_raster(const std::string& text, int scale, int quiet) {
  using qr_ptr = std::unique_ptr<QRcode, decltype(&QRcode_free)>;
  qr_ptr qr(QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), &QRcode_free);
  BOOST_REQUIRE(qr);
  const int modules = qr->width + 2 * quiet;
  const int side = modules * scale;
  raster r((side + 7) / 8 * 8, side);
  for (int my = 0; my < qr->width; ++my)
    for (int mx = 0; mx < qr->width; ++mx) {
      if (!(qr->data[my * qr->width + mx] & 1)) continue;
      for (int dy = 0; dy < scale; ++dy)
        for (int dx = 0; dx < scale; ++dx) r.set((mx + quiet) * scale + dx, (my + quiet) * scale + dy);
    }
  return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(profiles_by_width_and_name) {
  BOOST_TEST(generic_profile(58).dots_per_line == 384);
  BOOST_TEST(generic_profile(57).dots_per_line == 384);
  BOOST_TEST(generic_profile(80).dots_per_line == 576);
  BOOST_TEST(generic_profile(58).name == "generic-58");
  BOOST_TEST(generic_profile(80).name == "generic-80");
  for (const char* n : {"generic-58", "generic-80", "epson-tm-t20", "xprinter-58"}) {
    const printer_profile* p = find_profile(n);
    BOOST_REQUIRE_MESSAGE(p, n);
    BOOST_TEST(p->name == n);
    BOOST_TEST(p->dots_per_line % 8 == 0);
    BOOST_TEST((p->band_height >= 1 && p->band_height <= 255));
  }
  BOOST_TEST(find_profile("epson-tm-t21") == nullptr);
  BOOST_TEST(find_profile("") == nullptr);
  BOOST_TEST(profiles().size() == 4u);
}

BOOST_AUTO_TEST_CASE(exact_bytes_of_a_tiny_image) {
  raster r(16, 3);
  r.bits = {0x80, 0x01, 0xFF, 0x00, 0x12, 0x34};
  const job j = encode_ok(r, tiny, alignment::left);
  const bytes expected = {
      0x1B, 0x40,                                      // ESC @
      0x1C, 0x2E,                                      // FS .
      0x1D, 0x76, 0x30, 0x00, 0x04, 0x00, 0x02, 0x00,  // GS v 0, 4 bytes x 2 rows
      0x80, 0x01, 0x00, 0x00, 0xFF, 0x00, 0x00, 0x00,  //
      0x1D, 0x76, 0x30, 0x00, 0x04, 0x00, 0x01, 0x00,  // GS v 0, 4 bytes x 1 row
      0x12, 0x34, 0x00, 0x00,                          //
      0x1B, 0x64, 0x02,                                // ESC d 2
      0x1D, 0x56, 0x42, 0x00,                          // GS V 66 0
  };
  BOOST_TEST(j.bytes == expected, boost::test_tools::per_element());
  BOOST_TEST(j.band_ends == (std::vector<std::size_t>{20, 32}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(no_double_byte_exit_nor_cut_unless_the_profile_says) {
  printer_profile p = tiny;
  p.leave_double_byte_mode = false;
  p.cutter = false;
  const job j = encode_ok(raster(32, 1), p);
  const bytes expected = {0x1B, 0x40, 0x1D, 0x76, 0x30, 0x00, 0x04, 0x00, 0x01, 0x00,
                          0x00, 0x00, 0x00, 0x00, 0x1B, 0x64, 0x02};
  BOOST_TEST(j.bytes == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(bands_split_with_a_last_partial_band) {
  const printer_profile& p = *find_profile("generic-80");
  BOOST_REQUIRE_EQUAL(p.band_height, 48);
  const job j = encode_ok(random_raster(576, 100, 1), p);
  const auto s = decode_ok(j.bytes);
  BOOST_TEST(band_heights(s) == (std::vector<int>{48, 48, 4}), boost::test_tools::per_element());
  // Each band end is just past a GS v 0 command's data.
  std::vector<std::size_t> ends;
  for (const auto& c : s.commands)
    if (c.what == escpos_command::kind::raster) ends.push_back(c.end);
  BOOST_TEST(j.band_ends == ends, boost::test_tools::per_element());

  const auto exact = decode_ok(encode_ok(random_raster(576, 96, 2), p).bytes);
  BOOST_TEST(band_heights(exact) == (std::vector<int>{48, 48}), boost::test_tools::per_element());

  const auto one = decode_ok(encode_ok(random_raster(576, 1, 3), p).bytes);
  BOOST_TEST(band_heights(one) == (std::vector<int>{1}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_image_without_rows_sends_no_band) {
  const job j = encode_ok(raster(8, 0), tiny);
  BOOST_TEST(j.band_ends.empty());
  const auto s = decode_ok(j.bytes);
  BOOST_TEST(s.pages.empty());
  BOOST_TEST(s.commands.size() == 4u);  // ESC @, FS ., ESC d, GS V
}

BOOST_AUTO_TEST_CASE(narrow_images_are_padded_left_or_centered) {
  raster r(8, 1);
  r.bits = {0xFF};
  BOOST_TEST(decode_ok(encode_ok(r, tiny, alignment::left).bytes).pages.at(0).bits ==
                 (bytes{0xFF, 0x00, 0x00, 0x00}),
             boost::test_tools::per_element());
  // (32 - 8) / 2 = 12 dots: not a whole byte.
  BOOST_TEST(decode_ok(encode_ok(r, tiny, alignment::center).bytes).pages.at(0).bits ==
                 (bytes{0x00, 0x0F, 0xF0, 0x00}),
             boost::test_tools::per_element());
  raster wide(24, 1);
  wide.bits = {0x81, 0xFF, 0x81};
  // (32 - 24) / 2 = 4 dots; the last dot lands on the last column.
  BOOST_TEST(decode_ok(encode_ok(wide, tiny).bytes).pages.at(0).bits == (bytes{0x08, 0x1F, 0xF8, 0x10}),
             boost::test_tools::per_element());
  raster full(32, 1);
  full.bits = {0x01, 0x02, 0x03, 0x04};
  BOOST_TEST(decode_ok(encode_ok(full, tiny).bytes).pages.at(0).bits == full.bits, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(too_wide_images_and_bad_profiles_are_refused) {
  auto j = encode_raster_job(raster(584, 10), *find_profile("generic-80"));
  BOOST_REQUIRE(!j);
  BOOST_TEST((j.error().code == ravao::errc::invalid_argument));
  BOOST_TEST(j.error().context.find("584") != std::string::npos);
  BOOST_TEST(j.error().context.find("generic-80") != std::string::npos);
  BOOST_TEST(j.error().context.find("576") != std::string::npos);

  BOOST_TEST(!encode_raster_job(raster(576, 10), generic_profile(58)));
  raster short_bits(16, 2);
  short_bits.bits.pop_back();
  BOOST_TEST(!encode_raster_job(short_bits, tiny));
  printer_profile p = tiny;
  p.band_height = 0;
  BOOST_TEST(!encode_raster_job(raster(8, 1), p));
  p.band_height = 256;
  BOOST_TEST(!encode_raster_job(raster(8, 1), p));
  p = tiny;
  p.dots_per_line = 30;
  BOOST_TEST(!encode_raster_job(raster(8, 1), p));
}

BOOST_AUTO_TEST_CASE(the_decoder_rebuilds_the_encoded_raster) {
  for (const auto& p : profiles()) {
    BOOST_TEST_CONTEXT(p.name) {
      const raster image = random_raster(p.dots_per_line, 3 * p.band_height + 7, 42);
      const auto s = decode_ok(encode_ok(image, p).bytes);
      BOOST_REQUIRE_EQUAL(s.pages.size(), 1u);
      BOOST_TEST((s.pages[0] == image));
    }
  }
  // A narrower image, centered: every dot where it should be, white around.
  const raster image = random_raster(200, 130, 7);
  const printer_profile& p = generic_profile(80);
  const auto s = decode_ok(encode_ok(image, p).bytes);
  BOOST_REQUIRE_EQUAL(s.pages.size(), 1u);
  const raster& page = s.pages[0];
  BOOST_REQUIRE_EQUAL(page.width, 576);
  BOOST_REQUIRE_EQUAL(page.height, 130);
  const int offset = (576 - 200) / 2;
  int mismatches = 0;
  for (int y = 0; y < page.height; ++y)
    for (int x = 0; x < page.width; ++x) {
      const bool want = x >= offset && x < offset + 200 && image.get(x - offset, y);
      if (page.get(x, y) != want) ++mismatches;
    }
  BOOST_TEST(mismatches == 0);
}

BOOST_AUTO_TEST_CASE(the_decoder_refuses_anything_else) {
  job j = encode_ok(raster(8, 1), tiny);
  BOOST_TEST(decode_escpos(j.bytes).has_value());

  bytes text = j.bytes;
  text.insert(text.begin() + 4, 'A');  // raw text after ESC @ FS .
  auto d = decode_escpos(text);
  BOOST_REQUIRE(!d);
  BOOST_TEST((d.error().code == ravao::errc::protocol));
  BOOST_TEST(d.error().context.find("offset 4") != std::string::npos);
  BOOST_TEST(d.error().context.find("0x41") != std::string::npos);

  BOOST_TEST(!decode_escpos(bytes{0x1B, 0x74, 0x1E}));                    // ESC t (code page)
  BOOST_TEST(!decode_escpos(bytes{0x1D, 0x28, 0x6B, 0x03, 0x00}));        // GS ( k (native QR)
  BOOST_TEST(!decode_escpos(bytes{0x1D, 0x76, 0x30, 0x01, 1, 0, 1, 0, 0}));  // double width
  BOOST_TEST(!decode_escpos(bytes{0x1D, 0x76, 0x30, 0x00, 2, 0, 2, 0, 0}));  // truncated data
  BOOST_TEST(!decode_escpos(bytes{0x1B}));
  BOOST_TEST(!decode_escpos(bytes{0x0A}));                                // line feed
  BOOST_TEST(!decode_escpos(bytes{0x10, 0x04, 0x05}));

  // Status requests are understood, and each cut ends a page.
  bytes two = {0x10, 0x04, 0x04};
  two.insert(two.end(), j.bytes.begin(), j.bytes.end());
  two.insert(two.end(), j.bytes.begin(), j.bytes.end());
  const auto s = decode_ok(two);
  BOOST_TEST(s.pages.size() == 2u);
  BOOST_REQUIRE(!s.commands.empty());
  BOOST_TEST((s.commands[0].what == escpos_command::kind::status_request));
  BOOST_TEST(s.commands[0].arg == 4);
}

BOOST_AUTO_TEST_CASE(a_printed_qr_code_scans_back_with_zbar) {
  const std::string text = "RAVAO:SLIP:7K3Q-9";
  const raster qr = qr_raster(text, 6, 4);
  const job j = encode_ok(qr, *find_profile("generic-80"));
  const auto s = decode_ok(j.bytes);
  BOOST_REQUIRE_EQUAL(s.pages.size(), 1u);
  BOOST_TEST(s.pages[0].width == 576);
  BOOST_TEST(s.pages[0].height == qr.height);
  const auto found = zbar_scan(s.pages[0]);
  BOOST_REQUIRE_EQUAL(found.size(), 1u);
  BOOST_TEST(found[0] == text);
}

BOOST_AUTO_TEST_CASE(white_runs_go_as_narrow_bands_and_decode_to_the_same_page) {
  constexpr printer_profile p{.name = "p", .dots_per_line = 64, .band_height = 4, .native_qr = false,
                              .cutter = false, .leave_double_byte_mode = false, .feed_lines = 0};
  // 3 black rows, 300 white (more than one 255-row band), 5 black, 10 white
  // (too short to skip), 2 black, 20 white at the end.
  raster r = random_raster(64, 3 + 300 + 5 + 10 + 2 + 20, 7);
  const auto clear = [&](int from, int n) {
    std::fill_n(r.bits.begin() + static_cast<std::ptrdiff_t>(from) * 8, n * 8, std::uint8_t{0});
  };
  clear(3, 300);
  clear(308, 10);
  clear(320, 20);
  for (int y : {0, 1, 2, 303, 304, 305, 306, 307, 318, 319}) r.set(0, y);  // no accidentally white row
  const job j = encode_ok(r, p);
  auto d = decode_escpos(j.bytes);
  BOOST_TEST_REQUIRE(d.has_value(), (d ? "" : d.error().message()));
  BOOST_TEST_REQUIRE(d->pages.size() == 1u);
  BOOST_TEST((d->pages[0] == r));
  std::vector<std::string> bands;  // "WIDTHxHEIGHT"
  for (const auto& c : d->commands)
    if (c.what == escpos_command::kind::raster) bands.push_back(std::to_string(c.width) + "x" + std::to_string(c.height));
  const std::vector<std::string> expected = {"64x3", "8x255", "8x45", "64x4", "64x4", "64x4", "64x4", "64x1", "8x20"};
  BOOST_TEST(bands == expected, boost::test_tools::per_element());
  BOOST_TEST(j.band_ends.size() == expected.size());
  // A narrow band with a black dot is not white space: the decoder refuses it.
  std::vector<std::uint8_t> bad = {0x1b, '@', 0x1d, 'v', '0', 0, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                   0x1d, 'v', '0', 0, 1, 0, 1, 0, 0x80};
  BOOST_TEST(!decode_escpos(bad).has_value());
}
