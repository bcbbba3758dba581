#include "slip/text_renderer.hpp"

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <ft2build.h>
#include FT_FREETYPE_H

#include <unictype.h>
#include <unistr.h>

#include "common/text.hpp"

namespace ravao::slip {

namespace {

std::string ft_message(FT_Error e) {
  const char* s = FT_Error_String(e);
  return s != nullptr ? std::string(s) : "FreeType error " + std::to_string(e);
}

// Characters dropped from untrusted text: C0/C1 controls and DEL (except
// '\n', which breaks lines, and '\t', which becomes a space), line and
// paragraph separators, byte order marks and bidirectional formatting
// controls (a slip is printed left to right).
bool is_dropped(ucs4_t cp) {
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return true;
  if (cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF) return true;
  if (cp == 0x200E || cp == 0x200F || cp == 0x061C) return true;
  if (cp >= 0x202A && cp <= 0x202E) return true;
  return cp >= 0x2066 && cp <= 0x2069;
}

// Untrusted bytes to NFC code points: cut to max_text_bytes on a character
// boundary, ill-formed sequences replaced by U+FFFD (u8_mbtouc does that),
// dropped characters removed, then NFC (core/text.hpp).
std::u32string clean_text(std::string_view in) {
  if (in.size() > max_text_bytes) {
    std::size_t cut = max_text_bytes;
    for (int i = 0; i < 3 && cut > 0 && (static_cast<unsigned char>(in[cut]) & 0xC0u) == 0x80u; ++i) --cut;
    in = in.substr(0, cut);
  }
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(in.data());
  std::string valid;
  valid.reserve(in.size());
  for (std::size_t pos = 0; pos < in.size();) {
    ucs4_t cp = 0;
    pos += static_cast<std::size_t>(std::max(1, u8_mbtouc(&cp, bytes + pos, in.size() - pos)));
    if (cp == U'\t') cp = U' ';
    if (cp != U'\n' && is_dropped(cp)) continue;
    std::uint8_t buf[6];
    const int n = u8_uctomb(buf, cp, 6);
    if (n > 0) valid.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
  }
  const std::string nfc = text::to_nfc(valid);
  const auto* nb = reinterpret_cast<const std::uint8_t*>(nfc.data());
  std::u32string out;
  out.reserve(nfc.size());
  for (std::size_t pos = 0; pos < nfc.size();) {
    ucs4_t cp = 0;
    pos += static_cast<std::size_t>(std::max(1, u8_mbtouc(&cp, nb + pos, nfc.size() - pos)));
    out.push_back(static_cast<char32_t>(cp));
  }
  return out;
}

// Non-spacing and enclosing marks draw over the preceding character.
bool is_mark(char32_t cp) {
  return uc_is_general_category_withtable(static_cast<ucs4_t>(cp),
                                          UC_CATEGORY_MASK_Mn | UC_CATEGORY_MASK_Me);
}

// A glyph rendered in FreeType's monochrome mode (hinted for bilevel
// output), copied out of the glyph slot: one byte per dot, 1 = black.
struct glyph_image {
  int left = 0;  // from the pen position to the first column, dots
  int top = 0;   // from the baseline up to the first row, dots
  int width = 0;
  int rows = 0;
  FT_Pos advance = 0;  // 26.6
  std::vector<std::uint8_t> ink;
};

// Rendered glyphs of one face at one pixel size, by glyph index.
class glyph_cache {
 public:
  explicit glyph_cache(FT_Face f) : face_(f) {}

  // Dots held (one byte each), for the renderer's bound on its caches.
  std::size_t bytes() const { return bytes_; }

  result<const glyph_image*> get(FT_UInt index) {
    if (auto it = images_.find(index); it != images_.end()) return &it->second;
    if (const FT_Error e = FT_Load_Glyph(face_, index, FT_LOAD_RENDER | FT_LOAD_TARGET_MONO); e != 0) {
      return fail(errc::invalid_argument, "font: cannot render glyph " + std::to_string(index) + ": " +
                                              ft_message(e));
    }
    const FT_GlyphSlot slot = face_->glyph;
    const FT_Bitmap& bm = slot->bitmap;
    glyph_image g;
    g.left = slot->bitmap_left;
    g.top = slot->bitmap_top;
    g.width = static_cast<int>(bm.width);
    g.rows = static_cast<int>(bm.rows);
    g.advance = slot->advance.x;
    g.ink.assign(static_cast<std::size_t>(g.width) * static_cast<std::size_t>(g.rows), 0);
    const bool mono = bm.pixel_mode == FT_PIXEL_MODE_MONO;
    if (!mono && bm.pixel_mode != FT_PIXEL_MODE_GRAY) g.width = g.rows = 0;  // colour strikes: not drawn
    const int pitch = bm.pitch < 0 ? -bm.pitch : bm.pitch;
    for (int y = 0; y < g.rows; ++y) {
      // A negative pitch means the buffer starts with the bottom row.
      const int mem_row = bm.pitch < 0 ? g.rows - 1 - y : y;
      const unsigned char* row = bm.buffer + static_cast<std::ptrdiff_t>(mem_row) * pitch;
      for (int x = 0; x < g.width; ++x) {
        const bool black = mono ? ((row[x / 8] >> (7 - x % 8)) & 1) != 0 : row[x] >= 128;
        g.ink[static_cast<std::size_t>(y) * static_cast<std::size_t>(g.width) + static_cast<std::size_t>(x)] =
            black ? 1 : 0;
      }
    }
    bytes_ += g.ink.size() + sizeof(glyph_image);
    return &images_.emplace(index, std::move(g)).first->second;
  }

 private:
  FT_Face face_;
  std::unordered_map<FT_UInt, glyph_image> images_;  // node-based: pointers stay valid as it grows
  std::size_t bytes_ = 0;
};

// A base character with the marks that follow it, positioned relative to the
// cluster's pen position.
struct piece {
  const glyph_image* glyph;
  FT_Pos dx;
};
struct cluster {
  std::vector<piece> pieces;
  FT_Pos advance = 0;
  FT_UInt base = 0;  // glyph index, for kerning with the neighbours
  bool space = false;
};

struct placed {
  const glyph_image* glyph;
  FT_Pos x;  // 26.6, pen position of the glyph
};
using line = std::vector<placed>;

class layout {
 public:
  layout(FT_Face f, glyph_cache& cache, int line_width) : face_(f), cache_(cache), limit_(FT_Pos{line_width} * 64) {}

  // Lays out one paragraph (text between '\n's). Returns false once
  // max_lines lines exist; later text is not laid out.
  result<bool> add_paragraph(std::u32string_view para) {
    auto clusters = make_clusters(para);
    if (!clusters) return std::unexpected(clusters.error());
    std::size_t i = 0;
    while (i < clusters->size()) {
      if ((*clusters)[i].space) {
        pending_space_ += (*clusters)[i].advance;
        ++i;
        continue;
      }
      std::size_t end = i;
      while (end < clusters->size() && !(*clusters)[end].space) ++end;
      if (!add_word(std::span(clusters->data() + i, end - i))) return false;
      i = end;
    }
    return flush();
  }

  std::vector<line>& lines() { return lines_; }

 private:
  FT_Pos kerning(FT_UInt left, FT_UInt right) const {
    if (left == 0 || right == 0 || !FT_HAS_KERNING(face_)) return 0;
    FT_Vector k{};
    if (FT_Get_Kerning(face_, left, right, FT_KERNING_DEFAULT, &k) != 0) return 0;
    return k.x;
  }

  result<std::vector<cluster>> make_clusters(std::u32string_view para) {
    std::vector<cluster> out;
    for (const char32_t cp : para) {
      const FT_UInt index = FT_Get_Char_Index(face_, static_cast<FT_ULong>(cp));  // 0: the .notdef box
      auto g = cache_.get(index);
      if (!g) return std::unexpected(g.error());
      const glyph_image* glyph = *g;
      if (is_mark(cp) && !out.empty() && !out.back().space) {
        cluster& c = out.back();
        // Zero-advance marks are designed to be drawn at the pen position
        // after the base; a font whose mark advances is centred over it.
        const FT_Pos dx = glyph->advance == 0 ? c.advance : (c.advance - glyph->advance) / 2;
        c.pieces.push_back({glyph, dx});
        continue;
      }
      cluster c;
      c.base = index;
      c.space = cp == U' ';
      c.advance = glyph->advance;
      FT_Pos dx = 0;
      if (is_mark(cp) && glyph->advance == 0) {
        // A mark with nothing to sit on is shown on its own.
        dx = FT_Pos{-glyph->left} * 64;
        c.advance = FT_Pos{glyph->width + 1} * 64;
      }
      c.pieces.push_back({glyph, dx});
      out.push_back(std::move(c));
    }
    return out;
  }

  bool add_word(std::span<const cluster> word) {
    FT_Pos width = 0;
    for (std::size_t i = 0; i < word.size(); ++i) {
      if (i > 0) width += kerning(word[i - 1].base, word[i].base);
      width += word[i].advance;
    }
    if (!current_.empty() && pen_ + pending_space_ + kerning(prev_, word.front().base) + width > limit_) {
      if (!flush()) return false;
    }
    pen_ += pending_space_;
    pending_space_ = 0;
    for (const cluster& c : word) {
      FT_Pos k = kerning(prev_, c.base);
      // Only a word wider than the line breaks between its characters.
      if (!current_.empty() && pen_ + k + c.advance > limit_) {
        if (!flush()) return false;
        k = 0;
      }
      pen_ += k;
      for (const piece& p : c.pieces) current_.push_back({p.glyph, pen_ + p.dx});
      pen_ += c.advance;
      prev_ = c.base;
    }
    return true;
  }

  bool flush() {
    if (lines_.size() >= static_cast<std::size_t>(max_lines)) return false;
    lines_.push_back(std::move(current_));
    current_.clear();
    pen_ = 0;
    pending_space_ = 0;
    prev_ = 0;
    return lines_.size() < static_cast<std::size_t>(max_lines);
  }

  FT_Face face_;
  glyph_cache& cache_;
  FT_Pos limit_;
  std::vector<line> lines_;
  line current_;
  FT_Pos pen_ = 0;
  FT_Pos pending_space_ = 0;
  FT_UInt prev_ = 0;
};

int round_26_6(FT_Pos v) { return static_cast<int>((v + 32) >> 6); }

}  // namespace

// Rendered glyphs are kept across render calls, up to this many bytes in
// all (a slip uses a few hundred glyphs at four or five sizes: about 150 KB).
constexpr std::size_t max_cached_glyph_bytes = 1 << 20;

// Owns the FreeType library instance and the face; each renderer has its
// own library so renderers on different threads share nothing.
struct text_renderer::face {
  FT_Library library = nullptr;
  FT_Face ft = nullptr;
  // Glyphs by pixel size, kept across render calls: loading a glyph runs the
  // font's hinting program (FreeType's TrueType bytecode interpreter), which
  // was three quarters of the time of rendering a slip when every call
  // loaded its glyphs afresh. Emptied at the start of a render call when over
  // max_cached_glyph_bytes, never during one (the layout holds pointers into
  // it), so hostile text of many glyphs at many sizes cannot grow it for good.
  std::unordered_map<int, glyph_cache> caches;

  face() = default;
  face(const face&) = delete;
  face& operator=(const face&) = delete;
  ~face() {
    caches.clear();
    if (ft != nullptr) FT_Done_Face(ft);
    if (library != nullptr) FT_Done_FreeType(library);
  }
};

text_renderer::text_renderer(std::unique_ptr<face> f) : face_(std::move(f)) {}
text_renderer::text_renderer(text_renderer&&) noexcept = default;
text_renderer& text_renderer::operator=(text_renderer&&) noexcept = default;
text_renderer::~text_renderer() = default;

result<text_renderer> text_renderer::open(const std::filesystem::path& font) {
  auto f = std::make_unique<face>();
  if (const FT_Error e = FT_Init_FreeType(&f->library); e != 0) {
    return fail(errc::invalid_argument, "FreeType: cannot initialise: " + ft_message(e));
  }
  if (const FT_Error e = FT_New_Face(f->library, font.c_str(), 0, &f->ft); e != 0) {
    f->ft = nullptr;
    return fail(errc::invalid_argument, font.string() + ": cannot load font: " + ft_message(e) +
                                            " (DejaVu Sans is in the Debian package fonts-dejavu-core)");
  }
  if (!FT_IS_SCALABLE(f->ft)) {
    return fail(errc::invalid_argument, font.string() + ": not a scalable font");
  }
  return text_renderer(std::move(f));
}

result<raster> text_renderer::render(std::string_view utf8, int pixel_size, int line_width) {
  if (pixel_size < min_pixel_size || pixel_size > max_pixel_size) {
    return fail(errc::invalid_argument, "text: pixel size " + std::to_string(pixel_size) + " out of range " +
                                            std::to_string(min_pixel_size) + ".." +
                                            std::to_string(max_pixel_size));
  }
  if (line_width <= 0 || line_width > max_line_width || line_width % 8 != 0) {
    return fail(errc::invalid_argument, "text: line width " + std::to_string(line_width) +
                                            " must be a positive multiple of 8 up to " +
                                            std::to_string(max_line_width));
  }
  FT_Face ft = face_->ft;
  if (const FT_Error e = FT_Set_Pixel_Sizes(ft, 0, static_cast<FT_UInt>(pixel_size)); e != 0) {
    return fail(errc::invalid_argument, "text: cannot set pixel size: " + ft_message(e));
  }
  const std::u32string text = clean_text(utf8);
  if (text.empty()) return raster(line_width, 0);

  std::size_t cached = 0;
  for (const auto& [size, c] : face_->caches) cached += c.bytes();
  if (cached > max_cached_glyph_bytes) face_->caches.clear();
  glyph_cache& cache = face_->caches.try_emplace(pixel_size, ft).first->second;
  layout lay(ft, cache, line_width);
  for (std::size_t start = 0; start <= text.size();) {
    std::size_t end = text.find(U'\n', start);
    if (end == std::u32string::npos) end = text.size();
    auto more = lay.add_paragraph(std::u32string_view(text).substr(start, end - start));
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
    start = end + 1;
  }

  // Each line is as tall as the font's ascent and descent, or taller when
  // its ink goes beyond them (stacked diacritics on capitals: Ẫ, Ệ).
  const int ascent = round_26_6(ft->size->metrics.ascender);
  const int descent = round_26_6(-ft->size->metrics.descender);
  struct extent {
    int above;
    int below;
  };
  std::vector<extent> extents;
  int height = 0;
  for (const line& l : lay.lines()) {
    extent e{ascent, descent};
    for (const placed& p : l) {
      if (p.glyph->rows == 0) continue;
      e.above = std::max(e.above, p.glyph->top);
      e.below = std::max(e.below, p.glyph->rows - p.glyph->top);
    }
    extents.push_back(e);
    height += e.above + e.below;
  }

  raster out(line_width, height);
  int line_top = 0;
  for (std::size_t i = 0; i < lay.lines().size(); ++i) {
    const int baseline = line_top + extents[i].above;
    for (const placed& p : lay.lines()[i]) {
      const glyph_image& g = *p.glyph;
      const int x0 = round_26_6(p.x) + g.left;
      const int y0 = baseline - g.top;
      for (int y = 0; y < g.rows; ++y) {
        for (int x = 0; x < g.width; ++x) {
          const int px = x0 + x;
          if (px < 0 || px >= line_width) continue;  // overhang past the paper's edge
          if (g.ink[static_cast<std::size_t>(y) * static_cast<std::size_t>(g.width) + static_cast<std::size_t>(x)]) {
            out.set(px, y0 + y);
          }
        }
      }
    }
    line_top += extents[i].above + extents[i].below;
  }
  return out;
}

}  // namespace ravao::slip
