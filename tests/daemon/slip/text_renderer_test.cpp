#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <qrencode.h>
#include <uninorm.h>

#include "common/png.hpp"
#include "slip/qr.hpp"
#include "slip/text_renderer.hpp"

namespace slip = ravao::slip;
using ravao::raster;
using namespace std::string_literals;

namespace {

// Every precomposed Vietnamese letter that is not plain ASCII: the twelve
// vowels a ă â e ê i o ô ơ u ư y with no tone or one of the five tones
// (huyền, sắc, hỏi, ngã, nặng), less the six ASCII vowels, plus đ: 67 lower
// case and 67 upper case letters.
const std::vector<std::string> vietnamese_letters = {
    "à", "á", "ả", "ã", "ạ", "ă", "ằ", "ắ", "ẳ", "ẵ", "ặ", "â", "ầ", "ấ", "ẩ", "ẫ", "ậ",
    "è", "é", "ẻ", "ẽ", "ẹ", "ê", "ề", "ế", "ể", "ễ", "ệ",
    "ì", "í", "ỉ", "ĩ", "ị",
    "ò", "ó", "ỏ", "õ", "ọ", "ô", "ồ", "ố", "ổ", "ỗ", "ộ", "ơ", "ờ", "ớ", "ở", "ỡ", "ợ",
    "ù", "ú", "ủ", "ũ", "ụ", "ư", "ừ", "ứ", "ử", "ữ", "ự",
    "ỳ", "ý", "ỷ", "ỹ", "ỵ",
    "đ",
    "À", "Á", "Ả", "Ã", "Ạ", "Ă", "Ằ", "Ắ", "Ẳ", "Ẵ", "Ặ", "Â", "Ầ", "Ấ", "Ẩ", "Ẫ", "Ậ",
    "È", "É", "Ẻ", "Ẽ", "Ẹ", "Ê", "Ề", "Ế", "Ể", "Ễ", "Ệ",
    "Ì", "Í", "Ỉ", "Ĩ", "Ị",
    "Ò", "Ó", "Ỏ", "Õ", "Ọ", "Ô", "Ồ", "Ố", "Ổ", "Ỗ", "Ộ", "Ơ", "Ờ", "Ớ", "Ở", "Ỡ", "Ợ",
    "Ù", "Ú", "Ủ", "Ũ", "Ụ", "Ư", "Ừ", "Ứ", "Ử", "Ữ", "Ự",
    "Ỳ", "Ý", "Ỷ", "Ỹ", "Ỵ",
    "Đ",
};

struct free_deleter {
  void operator()(std::uint8_t* p) const { std::free(p); }
};

std::string normalize(std::string_view s, uninorm_t form) {
  std::size_t len = 0;
  std::unique_ptr<std::uint8_t, free_deleter> out(
      u8_normalize(form, reinterpret_cast<const std::uint8_t*>(s.data()), s.size(), nullptr, &len));
  BOOST_REQUIRE(out);
  return std::string(reinterpret_cast<const char*>(out.get()), len);
}

std::size_t black_dots(const raster& r) {
  std::size_t n = 0;
  for (int y = 0; y < r.height; ++y) {
    for (int x = 0; x < r.width; ++x) n += r.get(x, y) ? 1 : 0;
  }
  return n;
}

// Rightmost column with a black dot, or -1.
int rightmost_ink(const raster& r) {
  int right = -1;
  for (int y = 0; y < r.height; ++y) {
    for (int x = 0; x < r.width; ++x) {
      if (r.get(x, y)) right = std::max(right, x);
    }
  }
  return right;
}

slip::text_renderer open_default() {
  auto r = slip::text_renderer::open(slip::default_font_path);
  BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message()));
  return std::move(*r);
}

raster render(slip::text_renderer& tr, std::string_view s, int size = slip::body_pixel_size, int width = 384) {
  auto r = tr.render(s, size, width);
  BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message()));
  return std::move(*r);
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_list_has_every_precomposed_vietnamese_letter) {
  BOOST_TEST(vietnamese_letters.size() == 134u);
  for (const std::string& letter : vietnamese_letters) {
    BOOST_TEST(normalize(letter, UNINORM_NFC) == letter);
  }
}

BOOST_AUTO_TEST_CASE(every_vietnamese_letter_renders_from_nfc_and_nfd_and_differs_from_its_base) {
  for (const char* font : {slip::default_font_path.data(), slip::default_bold_font_path.data()}) {
    auto opened = slip::text_renderer::open(font);
    BOOST_REQUIRE_MESSAGE(opened.has_value(), (opened ? "" : opened.error().message()));
    slip::text_renderer& tr = *opened;
    for (const std::string& letter : vietnamese_letters) {
      BOOST_TEST_CONTEXT(font << ": " << letter) {
        const std::string nfd = normalize(letter, UNINORM_NFD);
        // The base letter is the first code point of the NFD form (ASCII),
        // except for đ/Đ, which has no decomposition.
        const std::string base = letter == "đ" ? "d"s : letter == "Đ" ? "D"s : nfd.substr(0, 1);
        if (letter != "đ" && letter != "Đ") BOOST_TEST(nfd != letter);

        const raster from_nfc = render(tr, letter);
        const raster from_nfd = render(tr, nfd);
        const raster of_base = render(tr, base);
        BOOST_TEST(from_nfc.width == 384);
        BOOST_TEST(from_nfc.height > 0);
        BOOST_TEST(black_dots(from_nfc) > 0u);
        BOOST_TEST((from_nfc == from_nfd));
        BOOST_TEST((from_nfc != of_base));
        // The diacritics add ink to the letter (to dotless ı for ì í ỉ ĩ ị,
        // where the tone mark takes the dot's place).
        const raster ink_base = base == "i" ? render(tr, "ı") : of_base;
        BOOST_TEST(black_dots(from_nfc) > black_dots(ink_base));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(combining_marks_that_do_not_compose_draw_without_advancing) {
  auto tr = open_default();
  // No precomposed x with acute or q with dot below exists: the marks stay
  // combining after NFC and are drawn over their base.
  const raster plain = render(tr, "xy");
  const raster marked = render(tr, "x\u0301y");
  BOOST_TEST((plain != marked));
  BOOST_TEST(black_dots(marked) > black_dots(plain));
  BOOST_TEST(rightmost_ink(marked) == rightmost_ink(plain));
  const raster q = render(tr, "q\u0323q");
  BOOST_TEST(rightmost_ink(q) == rightmost_ink(render(tr, "qq")));
  // A mark with nothing to sit on still shows.
  BOOST_TEST(black_dots(render(tr, "\u0301")) > 0u);
}

BOOST_AUTO_TEST_CASE(words_wrap_to_the_line_width) {
  auto tr = open_default();
  const raster one = render(tr, "Nguyễn");
  const raster line = render(tr, "Nguyễn Văn An", slip::body_pixel_size, 384);
  BOOST_TEST(line.height == one.height);
  const raster wrapped = render(tr, "Nguyễn Văn An", slip::body_pixel_size, 96);
  BOOST_TEST(wrapped.width == 96);
  BOOST_TEST(wrapped.height >= 2 * one.height);
  // A word wider than the line breaks between its letters; nothing is lost
  // off the right edge.
  const raster long_word = render(tr, std::string(40, 'W'), slip::body_pixel_size, 64);
  BOOST_TEST(long_word.width == 64);
  BOOST_TEST(long_word.height >= 10 * one.height);
  // '\n' breaks lines; an empty paragraph is an empty line.
  const raster a = render(tr, "a");
  BOOST_TEST(render(tr, "a\nb").height == 2 * a.height);
  BOOST_TEST(render(tr, "a\n\nb").height == 3 * a.height);
  // Stacked diacritics on capitals are not cut: the line grows.
  BOOST_TEST(render(tr, "Ẫ").height >= a.height);
}

BOOST_AUTO_TEST_CASE(untrusted_bytes_render_predictably) {
  auto tr = open_default();
  // Ill-formed UTF-8 is drawn as U+FFFD; overlongs and surrogates too.
  const raster replacement = render(tr, "\uFFFD");
  BOOST_TEST((render(tr, "\xFF") == replacement));
  BOOST_TEST((render(tr, "\xC0\x80") == render(tr, "\uFFFD\uFFFD")));
  BOOST_TEST((render(tr, "a\xED\xA0\x80z") != render(tr, "az")));
  // Control characters are dropped; '\t' is a space; "\r\n" is one break.
  BOOST_TEST((render(tr, "a\x01\x7F\x1B\xC2\x9B" "b") == render(tr, "ab")));
  BOOST_TEST((render(tr, "a\0b"s) == render(tr, "ab")));
  BOOST_TEST((render(tr, "a\tb") == render(tr, "a b")));
  BOOST_TEST((render(tr, "a\r\nb") == render(tr, "a\nb")));
  // Nothing to draw: an empty raster of the line's width.
  const raster empty = render(tr, "\x01\x02");
  BOOST_TEST(empty.width == 384);
  BOOST_TEST(empty.height == 0);
  // Bounded: 100 KB of newlines make at most max_lines lines.
  const raster many = render(tr, std::string(100'000, '\n'));
  BOOST_TEST(many.height == slip::max_lines * render(tr, "\n").height / 2);
  // Random bytes never crash and always give a raster of the line's width.
  std::mt19937 rng(20261123);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> length(0, 300);
  for (int i = 0; i < 300; ++i) {
    std::string s(length(rng), '\0');
    for (char& c : s) c = static_cast<char>(byte(rng));
    const raster r = render(tr, s, 16, 128);
    BOOST_TEST(r.width == 128);
    BOOST_TEST(r.bits.size() == r.stride() * static_cast<std::size_t>(r.height));
  }
}

BOOST_AUTO_TEST_CASE(bad_arguments_and_fonts_are_errors) {
  auto tr = open_default();
  BOOST_TEST(!tr.render("a", 24, 100).has_value());  // not a multiple of 8
  BOOST_TEST(!tr.render("a", 24, 0).has_value());
  BOOST_TEST(!tr.render("a", 0, 384).has_value());
  BOOST_TEST(!tr.render("a", 100000, 384).has_value());
  auto missing = slip::text_renderer::open("/nonexistent/font.ttf");
  BOOST_REQUIRE(!missing.has_value());
  BOOST_TEST(missing.error().message().find("/nonexistent/font.ttf") != std::string::npos);
  const auto not_font = std::filesystem::temp_directory_path() / "ravao-slip-not-a-font.ttf";
  std::ofstream(not_font) << "not a font";
  BOOST_TEST(!slip::text_renderer::open(not_font).has_value());
  std::filesystem::remove(not_font);
}

BOOST_AUTO_TEST_CASE(qr_raster_has_quiet_zone_and_modules) {
  const std::string payload = "RAVAO:SLIP:ABC123";
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeData(static_cast<int>(payload.size()), reinterpret_cast<const unsigned char*>(payload.data()),
                        0, QR_ECLEVEL_M),
      &QRcode_free);
  BOOST_REQUIRE(code);
  for (const int module_dots : {1, 3, 4, 8}) {
    BOOST_TEST_CONTEXT("module_dots " << module_dots) {
      const raster qr = slip::qr_raster(payload, module_dots);
      const int side = (code->width + 8) * module_dots;
      BOOST_TEST(qr.height == side);
      BOOST_TEST(qr.width == (side + 7) / 8 * 8);
      BOOST_TEST(black_dots(qr) > 0u);
      BOOST_TEST(black_dots(qr) < static_cast<std::size_t>(qr.width) * static_cast<std::size_t>(qr.height));
      // The quiet zone is white, the finder pattern's corner black.
      for (int i = 0; i < 4 * module_dots; ++i) {
        BOOST_TEST(!qr.get(i, i));
        BOOST_TEST(!qr.get(qr.width - 1 - i, qr.height - 1 - i));
      }
      BOOST_TEST(qr.get(4 * module_dots, 4 * module_dots));
    }
  }
  BOOST_TEST(slip::qr_raster("", 4).height == 0);
  BOOST_TEST(slip::qr_raster(std::string(5000, 'x'), 4).height == 0);
}

BOOST_AUTO_TEST_CASE(png_starts_with_the_png_signature) {
  auto tr = open_default();
  const auto file = std::filesystem::temp_directory_path() / "ravao-slip-text-renderer-test.png";
  BOOST_REQUIRE(slip::write_png(render(tr, "Nguyễn Văn An"), file).has_value());
  std::ifstream in(file, std::ios::binary);
  std::string head(8, '\0');
  in.read(head.data(), 8);
  BOOST_TEST(head == "\x89PNG\r\n\x1A\n"s);
  std::filesystem::remove(file);
  BOOST_TEST(!slip::write_png(raster{}, file).has_value());
  BOOST_TEST(!slip::write_png(slip::qr_raster("x", 2), "/nonexistent/dir/x.png").has_value());
}
