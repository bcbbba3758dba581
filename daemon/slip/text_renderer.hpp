#pragma once
// Text for declaration slips: untrusted UTF-8 laid out with word wrap and
// drawn with FreeType into a 1-bit raster a thermal printer takes as is.
// See docs/slips.md ("Rendering text and QR") for the font, size and limits.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string_view>

#include "common/error.hpp"
#include "common/raster.hpp"

namespace ravao::slip {

// DejaVu Sans, installed by the Debian package fonts-dejavu-core: full
// Vietnamese coverage (precomposed letters with stacked diacritics), a large
// x-height and hinting that stays legible as bilevel dots at 203 dpi.
inline constexpr std::string_view default_font_path =
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
inline constexpr std::string_view default_bold_font_path =
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";

// Bounds for untrusted text: input beyond max_text_bytes is cut (at a
// character boundary) and lines beyond max_lines are not drawn.
inline constexpr std::size_t max_text_bytes = 4096;
inline constexpr int max_lines = 200;
inline constexpr int min_pixel_size = 6;
inline constexpr int max_pixel_size = 128;
inline constexpr int max_line_width = 4096;

// Body text size in dots: 24 px at 203 dpi is an 8.5 pt em (x-height about
// 13 dots, 1.6 mm), the size of the printers' own font A (12x24).
inline constexpr int body_pixel_size = 24;

// One font face. Move-only; not thread-safe (FreeType faces are not): use
// one renderer per thread.
class text_renderer {
 public:
  // Loads a scalable font file. Fails with a message naming the file when it
  // is missing or not a font FreeType can read.
  static result<text_renderer> open(const std::filesystem::path& font);

  text_renderer(text_renderer&&) noexcept;
  text_renderer& operator=(text_renderer&&) noexcept;
  ~text_renderer();

  // Draws `utf8` at `pixel_size` (em size in dots) into a raster exactly
  // `line_width` dots wide (a multiple of 8), wrapping words at that width
  // and at '\n'; the height is the sum of the lines' heights (0 for no text).
  // The text is untrusted: ill-formed UTF-8 becomes U+FFFD, control
  // characters other than '\n' are dropped ('\t' becomes a space), the rest
  // is NFC-normalised, then cut to the limits above. Characters the font
  // lacks are drawn as its missing-glyph box. Fails only on a bad pixel_size
  // or line_width, or when FreeType fails.
  result<raster> render(std::string_view utf8, int pixel_size, int line_width);

 private:
  struct face;
  explicit text_renderer(std::unique_ptr<face> f);
  std::unique_ptr<face> face_;
};

}  // namespace ravao::slip
