#include "slip/slip_layout.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "slip/qr.hpp"
#include "slip/slip_number.hpp"

namespace ravao::slip {

namespace {

// White dots kept at each side of the paper: the print head reaches the
// edge, but a slip torn off by hand loses a dot or two there.
constexpr int margin = 8;
constexpr int min_width = 256;

// Untrusted values are cut to these many bytes before they are drawn, so a
// hostile 10 KB site name costs a few lines, not a metre of paper.
constexpr std::size_t max_name_bytes = 240;
constexpr std::size_t max_short_bytes = 96;

// Type sizes in dots per em (203 dpi: 8 dots = 1 mm). Body text is
// body_pixel_size (docs/slips.md, "Size"); nothing is smaller than 18.
struct type_sizes {
  int title;    // bold, the first line
  int number;   // the slip number in the header
  int heading;  // bold section headings, squeezed a little on 58 mm
  int body;
  int small;
};

type_sizes sizes_for(int width) {
  if (width >= 576) {
    return {.title = 44, .number = 44, .heading = body_pixel_size, .body = body_pixel_size, .small = 18};
  }
  return {.title = 36, .number = 36, .heading = 21, .body = body_pixel_size, .small = 18};
}

int floor8(int v) { return v / 8 * 8; }

// `s` cut to at most `max` bytes on a UTF-8 character boundary, with "…"
// when something was cut. Ill-formed input stays ill-formed; the renderer
// replaces it.
std::string clip(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t cut = max;
  for (int i = 0; i < 3 && cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0u) == 0x80u; ++i) --cut;
  std::string out(s.substr(0, cut));
  out += "…";
  return out;
}

// Columns [left, right) that hold ink; {0, 0} for a blank raster.
struct extent {
  int left = 0;
  int right = 0;
  int width() const { return right - left; }
};

extent ink_extent(const raster& r, int row0, int row1) {
  std::vector<std::uint8_t> cols(r.stride(), 0);
  for (int y = row0; y < row1; ++y) {
    const std::uint8_t* row = r.bits.data() + static_cast<std::size_t>(y) * r.stride();
    for (std::size_t i = 0; i < cols.size(); ++i) cols[i] |= row[i];
  }
  const auto first = std::find_if(cols.begin(), cols.end(), [](std::uint8_t b) { return b != 0; });
  if (first == cols.end()) return {};
  const auto last = std::find_if(cols.rbegin(), cols.rend(), [](std::uint8_t b) { return b != 0; });
  const int lb = static_cast<int>(first - cols.begin());
  const int rb = static_cast<int>(cols.rend() - last) - 1;
  return {lb * 8 + std::countl_zero(*first), rb * 8 + 8 - std::countr_zero(*last)};
}

extent ink_extent(const raster& r) { return ink_extent(r, 0, r.height); }

enum class ink { paint, invert };

// Where a text comes from: the layout's own words, or a value from outside
// (untrusted, and too varied to keep).
enum class source { layout, untrusted };

// A raster that grows downwards as parts are added, with the drawing
// operations the layouts need. Text is drawn only by the fonts'
// text_renderers; the first rendering failure is kept and returned by
// finish(), later drawing goes on with blank text so the layout code stays
// linear.
class page {
 public:
  page(fonts& f, int width) : fonts_(f), img_(width, 0), sizes_(sizes_for(width)) {}

  int width() const { return img_.width; }
  int inner() const { return img_.width - 2 * margin; }
  int bottom() const { return img_.height; }
  const type_sizes& sizes() const { return sizes_; }

  // Text of the layout itself, drawn once per fonts object (fonts::drawn).
  raster text(std::string_view s, int size, bool bold, int line_width) {
    std::string key = std::to_string(size) + (bold ? 'b' : 'r') + std::to_string(line_width) + ':';
    key.append(s);
    if (const auto it = fonts_.drawn.find(key); it != fonts_.drawn.end()) return it->second;
    raster r = value(s, size, bold, line_width);
    if (!failure_) fonts_.drawn.emplace(std::move(key), r);
    return r;
  }

  // Untrusted text (names, times, ids): drawn every time, never kept.
  raster value(std::string_view s, int size, bool bold, int line_width) {
    auto r = (bold ? fonts_.bold : fonts_.regular).render(s, size, line_width);
    if (!r) {
      if (!failure_) failure_ = std::move(r.error());
      return raster(line_width, 0);
    }
    return std::move(*r);
  }

  // The baseline of a one-line text raster of `size` rows from its top and
  // the descent below it, measured once per face and size on an "x" (whose
  // foot sits on the baseline).
  struct metrics {
    int ascent = 0;
    int descent = 0;
    int line() const { return ascent + descent; }
  };
  metrics measure(int size, bool bold) {
    for (const auto& m : metrics_)
      if (m.size == size && m.bold == bold) return m.value;
    const raster x = text("x", size, bold, 64);
    int foot = x.height;
    for (int y = x.height - 1; y >= 0; --y) {
      if (ink_extent(x, y, y + 1).width() > 0) {
        foot = y + 1;
        break;
      }
    }
    metrics m{foot, x.height - foot};
    metrics_.push_back({size, bold, m});
    return m;
  }

  // Appends `rows` white rows; returns the first one.
  int grow(int rows) {
    const int top = img_.height;
    if (rows <= 0) return top;
    img_.height += rows;
    img_.bits.resize(static_cast<std::size_t>(img_.height) * img_.stride(), 0);
    return top;
  }

  // ORs (or XORs) rows [row0, row1) of `src` at (x, y), clipped to the page.
  // Whole bytes are combined; a position that is not a multiple of 8 shifts
  // each byte across two.
  void blit(const raster& src, int x, int y, int row0, int row1, ink mode = ink::paint) {
    const int shift = ((x % 8) + 8) % 8;
    const int xb = (x - shift) / 8;
    const int stride = static_cast<int>(img_.stride());
    for (int sy = row0; sy < row1; ++sy) {
      const int dy = y + sy - row0;
      if (dy < 0 || dy >= img_.height) continue;
      const std::uint8_t* s = src.bits.data() + static_cast<std::size_t>(sy) * src.stride();
      std::uint8_t* d = img_.bits.data() + static_cast<std::size_t>(dy) * img_.stride();
      for (int i = 0; i < static_cast<int>(src.stride()); ++i) {
        if (s[i] == 0) continue;
        const int lo = s[i] >> shift;
        const int hi = shift == 0 ? 0 : (s[i] << (8 - shift)) & 0xFF;
        put(d, stride, xb + i, lo, mode);
        put(d, stride, xb + i + 1, hi, mode);
      }
    }
  }
  void blit(const raster& src, int x, int y, ink mode = ink::paint) { blit(src, x, y, 0, src.height, mode); }

  // Fills [x0, x1) x [y0, y1) black.
  void fill(int x0, int y0, int x1, int y1) {
    x0 = std::max(x0, 0);
    x1 = std::min(x1, img_.width);
    y0 = std::max(y0, 0);
    y1 = std::min(y1, img_.height);
    for (int y = y0; y < y1; ++y) {
      std::uint8_t* d = img_.bits.data() + static_cast<std::size_t>(y) * img_.stride();
      for (int x = x0; x < x1;) {
        if (x % 8 == 0 && x + 8 <= x1) {
          d[x / 8] = 0xFF;
          x += 8;
        } else {
          d[x / 8] = static_cast<std::uint8_t>(d[x / 8] | (0x80u >> (x % 8)));
          ++x;
        }
      }
    }
  }

  // A rule to write on: 2x2 dots every 6 dots, its top row at y.
  void dotted(int x0, int x1, int y) {
    for (int x = x0; x + 2 <= x1; x += 6) fill(x, y, x + 2, y + 2);
  }

  // A checkbox to tick: a square outline 2 dots thick.
  void box(int x, int y, int side) {
    fill(x, y, x + side, y + 2);
    fill(x, y + side - 2, x + side, y + side);
    fill(x, y, x + 2, y + side);
    fill(x + side - 2, y, x + side, y + side);
  }

  // A box sits on text of `size` whose baseline is at `baseline`: a little
  // taller than the capitals, centred between x-height and cap height.
  int box_side(int size) const { return size * 9 / 10; }
  int box_top(int size, int baseline) const { return baseline + size / 8 - box_side(size); }

  // Text of the page's inner width at the left margin; returns the raster.
  raster add_left(std::string_view s, int size, bool bold, source from = source::layout) {
    raster t = from == source::layout ? text(s, size, bold, inner()) : value(s, size, bold, inner());
    blit(t, margin, grow(t.height));
    return t;
  }

  // Text centred line by line across the inner width.
  void add_centered(std::string_view s, int size, bool bold, source from = source::layout) {
    const raster t = from == source::layout ? text(s, size, bold, inner()) : value(s, size, bold, inner());
    const ink mode = ink::paint;
    center_lines(t, size, bold, 0, width(), grow(t.height), mode);
  }

  // Places text rendered at `size` with each line centred in columns
  // [x0, x0 + w), from row `top`. The renderer's lines are all the font's
  // line height unless ink reaches beyond it (stacked capitals), so a
  // raster that is a whole number of lines is split there; otherwise the
  // block is centred as a whole.
  void center_lines(const raster& t, int size, bool bold, int x0, int w, int top, ink mode = ink::paint) {
    const int line = measure(size, bold).line();
    const int step = line > 0 && t.height % line == 0 ? line : t.height;
    for (int y = 0; y < t.height; y += step) {
      const extent e = ink_extent(t, y, y + step);
      blit(t, x0 + (w - e.width()) / 2 - e.left, top + y, y, y + step, mode);
    }
  }

  void space(int rows) { grow(rows); }

  // A solid rule across the inner width, with `gap` white rows each side.
  void rule(int gap, int thickness = 2) {
    const int y = grow(gap + thickness + gap) + gap;
    fill(margin, y, width() - margin, y + thickness);
  }

  // A black bar across the paper with `s` knocked out in white.
  void banner(std::string_view s, int size) {
    const raster t = text(s, size, true, inner());
    const int pad = 8;
    const int top = grow(t.height + 2 * pad);
    fill(margin, top, width() - margin, top + t.height + 2 * pad);
    const extent e = ink_extent(t);
    blit(t, (width() - e.width()) / 2 - e.left, top + pad, ink::invert);
  }

  // A QR code centred, its quiet zone included.
  void add_qr(const raster& qr) {
    // qr_raster pads the width to whole bytes on the right; the symbol and
    // its quiet zone are the square of side `height`.
    blit(qr, (width() - qr.height) / 2, grow(qr.height));
  }

  result<raster> finish() && {
    if (failure_) return std::unexpected(std::move(*failure_));
    return std::move(img_);
  }

 private:
  static void put(std::uint8_t* row, int stride, int i, int v, ink mode) {
    if (i < 0 || i >= stride || v == 0) return;
    row[i] = static_cast<std::uint8_t>(mode == ink::paint ? (row[i] | v) : (row[i] ^ v));
  }

  struct cached_metrics {
    int size;
    bool bold;
    metrics value;
  };

  fonts& fonts_;
  raster img_;
  type_sizes sizes_;
  std::vector<cached_metrics> metrics_;
  std::optional<error> failure_;
};

result<void> check_width(int width_dots, std::string_view what) {
  if (width_dots < min_width || width_dots > max_line_width || width_dots % 8 != 0) {
    return fail(errc::invalid_argument,
                std::string(what) + ": paper width " + std::to_string(width_dots) +
                    " dots is not a multiple of 8 between " + std::to_string(min_width) + " and " +
                    std::to_string(max_line_width) + " (384 for 58 mm paper, 576 for 80 mm)");
  }
  return {};
}

// The largest module size from `max_dots` down to 3 at which `text` as a
// QR code fits in `room` dots; a raster at 3 dots otherwise (the callers'
// widths always fit that).
raster fitted_qr(std::string_view text, int max_dots, int room) {
  for (int dots = max_dots; dots > 3; --dots) {
    raster qr = qr_raster(text, dots);
    if (qr.height <= room) return qr;
  }
  return qr_raster(text, 3);
}

}  // namespace

result<fonts> fonts::open_default() {
  auto regular = text_renderer::open(std::string(default_font_path));
  if (!regular) {
    return fail(regular.error().code, "slip fonts: " + regular.error().context +
                                          "; install it with: apt-get install fonts-dejavu-core");
  }
  auto bold = text_renderer::open(std::string(default_bold_font_path));
  if (!bold) {
    return fail(bold.error().code,
                "slip fonts: " + bold.error().context + "; install it with: apt-get install fonts-dejavu-core");
  }
  return fonts{std::move(*regular), std::move(*bold)};
}

result<raster> stack(const std::vector<raster>& parts, int width) {
  if (width <= 0 || width % 8 != 0) {
    return fail(errc::invalid_argument, "stack: width " + std::to_string(width) + " is not a positive multiple of 8");
  }
  std::size_t rows = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const raster& p = parts[i];
    if (p.width < 0 || p.height < 0 || p.width % 8 != 0 || p.width > width ||
        p.bits.size() != static_cast<std::size_t>(p.height) * p.stride()) {
      return fail(errc::invalid_argument, "stack: part " + std::to_string(i) + " (" + std::to_string(p.width) +
                                              "x" + std::to_string(p.height) +
                                              " dots) is malformed or wider than " + std::to_string(width));
    }
    rows += static_cast<std::size_t>(p.height);
  }
  raster out(width, static_cast<int>(rows));
  std::uint8_t* d = out.bits.data();
  for (const raster& p : parts) {
    for (int y = 0; y < p.height; ++y, d += out.stride()) {
      std::copy_n(p.bits.data() + static_cast<std::size_t>(y) * p.stride(), p.stride(), d);
    }
  }
  return out;
}

// --- The declaration slip ---------------------------------------------------

namespace {

// Minimum room to write a value by hand after a label (20 mm); less puts
// the line under the label.
constexpr int min_blank = 160;
// Handwriting needs about 6 mm between lines; text is 3.6 mm tall.
constexpr int write_gap = 20;

// A form row: white room to write in, then `label` at the left margin.
struct labelled_row {
  int top;       // of the label
  int baseline;  // of the label's last line
  int after;     // first column after the label's ink and a space
  int bottom;
};

labelled_row label_row(page& p, std::string_view label) {
  const int size = p.sizes().body;
  p.space(write_gap);
  const raster l = p.text(label, size, false, p.inner());
  const int top = p.grow(l.height);
  p.blit(l, margin, top);
  return {top, top + l.height - p.measure(size, false).descent, margin + ink_extent(l).right + 10, p.bottom()};
}

// A whole dotted line to write on.
void blank_line(page& p) {
  const auto m = p.measure(p.sizes().body, false);
  p.space(write_gap + m.ascent);
  p.dotted(margin, p.width() - margin, p.grow(m.descent));
}

// "Label: ....." to fill in, or "Label: value" when pre-printed.
void field(page& p, std::string_view label, const std::optional<std::string>& value = std::nullopt) {
  const int size = p.sizes().body;
  const labelled_row r = label_row(p, label);
  const int room = p.width() - margin - r.after;
  if (value) {
    const bool beside = room >= min_blank;
    const int x = beside ? (r.after + 7) / 8 * 8 : margin;
    const raster v = p.value(*value, size, true, floor8(p.width() - margin - x));
    if (beside) {
      // The value's first baseline on the label's. Only a line with ink
      // beyond the font's ascent (Ễ) is taller than the others; when there
      // is one, take it to be the first.
      const auto m = p.measure(size, true);
      const int first_baseline = m.ascent + v.height % std::max(1, m.line());
      const int y = r.baseline - first_baseline;
      p.grow(y + v.height - p.bottom());
      p.blit(v, x, y);
    } else {
      p.blit(v, x, p.grow(v.height));
    }
    return;
  }
  if (room >= min_blank) {
    p.dotted(r.after, p.width() - margin, r.baseline);
  } else {
    blank_line(p);  // the whole next line to write on
  }
}

// "Label:  [] Nam   [] Nữ": checkboxes with their labels after a label; an
// option that does not fit on the line goes to the next one.
void choice(page& p, std::string_view label, const std::vector<form_option>& options) {
  const int size = p.sizes().body;
  const int side = p.box_side(size);
  const labelled_row r = label_row(p, label);
  const int line = p.measure(size, false).line();
  int x = r.after + 6;
  int top = r.top;
  int baseline = r.baseline;
  for (const form_option& o : options) {
    const raster t = p.text(o.label, size, false, floor8(p.inner() - side - 8));
    const int width = side + 8 + ink_extent(t).right;
    if (x + width > p.width() - margin && x > margin + 6) {
      p.space(write_gap / 2);
      top = p.grow(line);
      baseline = top + line - p.measure(size, false).descent;
      x = margin + 6;
    }
    p.box(x, p.box_top(size, baseline), side);
    p.blit(t, x + side + 8, top);
    x += width + 28;
  }
}

// The 14-day questions: one row each with Có / Không boxes in two columns at
// the right; a long label wraps in its own column and the boxes sit on its
// last line, after a dotted leader.
class yes_no_table {
 public:
  explicit yes_no_table(page& p) : p_(p), size_(p.sizes().body), m_(p.measure(size_, false)) {
    const int col = p.width() >= 576 ? 88 : 72;
    no_center_ = p.width() - margin - col / 2;
    yes_center_ = no_center_ - col;
    label_width_ = floor8(yes_center_ - col / 2 - margin);
    p.space(8);
    const raster yes = p.text("Có", p.sizes().heading, true, 128);
    const raster no = p.text("Không", p.sizes().heading, true, 128);
    const int y = p.grow(std::max(yes.height, no.height));
    for (const auto& [r, c] : {std::pair{&yes, yes_center_}, std::pair{&no, no_center_}}) {
      const extent e = ink_extent(*r);
      p.blit(*r, c - e.width() / 2 - e.left, y);
    }
  }

  void row(std::string_view label) {
    p_.space(10);
    const raster l = p_.text(label, size_, false, label_width_);
    const int top = p_.grow(l.height);
    p_.blit(l, margin, top);
    const int baseline = top + l.height - m_.descent;
    // The leader starts after the ink of the last line.
    const int last = std::max(0, l.height - m_.line());
    const int side = p_.box_side(size_);
    p_.dotted(margin + ink_extent(l, last, l.height).right + 8, yes_center_ - side / 2 - 8, baseline - 2);
    for (const int c : {yes_center_, no_center_}) p_.box(c - side / 2, p_.box_top(size_, baseline), side);
  }

 private:
  page& p_;
  int size_;
  page::metrics m_;
  int yes_center_ = 0;
  int no_center_ = 0;
  int label_width_ = 0;
};

// "Ngày ..... tháng ..... năm ........": the words and dotted gaps spread
// across the line.
void date_line(page& p) {
  const int size = p.sizes().heading;
  const auto m = p.measure(size, false);
  p.space(write_gap);
  const std::array<raster, 3> words = {p.text("Ngày", size, false, 128), p.text("tháng", size, false, 128),
                                       p.text("năm", size, false, 128)};
  int used = 0;
  int h = 0;
  for (const raster& w : words) {
    used += ink_extent(w).right;
    h = std::max(h, w.height);
  }
  const int gap_room = std::max(0, p.inner() - used - 6 * 6);
  const std::array<int, 3> gaps = {gap_room * 2 / 7, gap_room * 2 / 7, gap_room * 3 / 7};
  const int top = p.grow(h);
  int x = margin;
  for (std::size_t i = 0; i < words.size(); ++i) {
    p.blit(words[i], x, top);
    x += ink_extent(words[i]).right + 6;
    p.dotted(x, x + gaps[i], top + h - m.descent);
    x += gaps[i] + 6;
  }
}


// The form: the definition's fields, in its order (slip/form_definition.hpp).
// Runs of yes/no questions in one section make a table. The visitor's name
// and masked ID, when pre-printed, go into the field named "name" and the
// first id_number field.
void draw_form(page& p, const form_definition& form, const slip_content& c) {
  const type_sizes& s = p.sizes();
  auto clipped = [](const std::optional<std::string>& v, std::size_t max) -> std::optional<std::string> {
    if (!v) return std::nullopt;
    return clip(*v, max);
  };
  bool id_done = false;
  bool first_heading = true;
  std::optional<yes_no_table> table;
  for (const form_field& f : form.fields) {
    if (!f.printed) continue;
    if (!f.heading.empty()) {
      table.reset();
      if (!first_heading) p.rule(14);
      first_heading = false;
      p.add_left(f.heading, s.heading, true);
    }
    const std::string label = f.label + ":";
    switch (f.type) {
      case field_type::yes_no:
        if (!table) table.emplace(p);
        table->row(f.label);
        break;
      case field_type::choice: choice(p, label, f.options); break;
      case field_type::textarea:
        field(p, label);
        blank_line(p);
        break;
      default: {
        std::optional<std::string> value;
        if (f.name == "name") value = clipped(c.person_name, max_name_bytes);
        if (f.type == field_type::id_number && !id_done) {
          value = clipped(c.person_id_masked, max_short_bytes);
          id_done = true;
        }
        field(p, label, value);
        break;
      }
    }
  }
}

}  // namespace

result<raster> render_slip(fonts& f, const slip_content& c, int width_dots) {
  if (auto ok = check_width(width_dots, "slip"); !ok) return std::unexpected(ok.error());
  const auto sequence = parse_slip_number(c.slip_number);
  if (!sequence || format_slip_number(*sequence) != c.slip_number) {
    return fail(errc::invalid_argument, "slip: \"" + clip(c.slip_number, 32) +
                                            "\" is not a slip number (format_slip_number makes them)");
  }
  if (c.retention_days < 1 || c.retention_days > 3650) {
    return fail(errc::invalid_argument,
                "slip: retention of " + std::to_string(c.retention_days) + " days is outside 1..3650");
  }
  page p(f, width_dots);
  const type_sizes& s = p.sizes();
  const std::string number = display_slip_number(c.slip_number);

  // Header: what this paper is, where and when it was issued, its number.
  p.space(8);
  if (c.reprint) {
    p.banner("BẢN IN LẠI", 32);
    p.space(12);
  }
  p.add_centered("TỜ KHAI Y TẾ", s.title, true);
  p.space(4);
  if (!c.site_name.empty()) p.add_centered(clip(c.site_name, max_name_bytes), s.body, true, source::untrusted);
  if (!c.counter_name.empty()) p.add_centered(clip(c.counter_name, max_short_bytes), s.body, false, source::untrusted);
  p.rule(10);
  p.add_left("Thời gian: " + (c.issued_at.empty() ? std::string("......................")
                                                   : clip(c.issued_at, max_short_bytes)),
             s.body, false, source::untrusted);
  {
    // "Số phiếu:" and the number on one baseline when they fit.
    const raster label = p.text("Số phiếu:", s.body, false, p.inner());
    const raster value = p.value(number, s.number, true, p.inner());
    const int after = ink_extent(label).right + 12;
    const int label_descent = p.measure(s.body, false).descent;
    const int value_descent = p.measure(s.number, true).descent;
    p.space(6);
    if (after + ink_extent(value).width() <= p.inner()) {
      const int top = p.grow(value.height);
      p.blit(value, margin + after, top);
      p.blit(label, margin, top + value.height - value_descent - (label.height - label_descent));
    } else {
      p.blit(label, margin, p.grow(label.height));
      p.blit(value, margin, p.grow(value.height));
    }
  }
  p.add_left("Vui lòng điền đầy đủ, ký tên và nộp lại phiếu này tại quầy.", s.small, false);
  p.rule(10);

  const form_definition& form = c.form ? *c.form : default_form();
  draw_form(p, form, c);
  p.rule(14);

  // Consent (Law 91/2025/QH15 on personal data protection: explicit, for
  // this purpose, time-limited) and signature.
  p.add_left(consent_text(form, c.retention_days), s.body, false);
  date_line(p);
  p.space(14);
  p.add_left("Chữ ký của người khai:", s.body, false);
  p.space(96);
  const int signature = p.grow(2);
  p.fill(p.width() / 3, signature, p.width() - margin, signature + 2);
  p.space(32);

  // The QR code staff scan when the visitor hands the form back.
  p.add_qr(fitted_qr(slip_qr_text(c.slip_number), 6, p.inner()));
  p.add_centered(number, s.body + 4, true, source::untrusted);
  if (c.reprint) p.add_centered("BẢN IN LẠI", s.body, true);
  p.space(16);
  return std::move(p).finish();
}

// --- The command card --------------------------------------------------------

namespace {

bool is_counter_id(std::string_view s) {
  const auto ok = [](char ch) {
    return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_' ||
           ch == '-';
  };
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), ok);
}

}  // namespace

const std::vector<card_command>& card_commands() {
  static const std::vector<card_command> commands = {
      {"PRINT_SLIP", "In phiếu khai báo"},
      {"CHECKOUT_LAST", "Ghi ra cho khách vừa quét"},
      {"UNDO_LAST", "Hủy lần quét vừa rồi"},
      {"PRINTER_TEST", "In thử máy in"},
  };
  return commands;
}

result<raster> render_command_card(fonts& f, const card_content& c, int width_dots) {
  if (auto ok = check_width(width_dots, "command card"); !ok) return std::unexpected(ok.error());
  if (!is_counter_id(c.counter_id)) {
    return fail(errc::invalid_argument, "command card: counter id \"" + clip(c.counter_id, 40) +
                                            "\" must be 1 to 32 of A-Z a-z 0-9 _ - (the scanner reads it "
                                            "back from RAVAO:CMD:<VERB>:<counter id>)");
  }
  page p(f, width_dots);
  const type_sizes& s = p.sizes();
  p.space(8);
  p.add_centered("THẺ LỆNH QUẦY", s.title, true);
  p.space(4);
  if (!c.site_name.empty()) p.add_centered(clip(c.site_name, max_name_bytes), s.body, true, source::untrusted);
  if (!c.counter_name.empty()) {
    p.add_centered(clip(c.counter_name, max_short_bytes), s.body + 4, true, source::untrusted);
  }
  p.add_centered("Mã quầy: " + c.counter_id, s.small, false, source::untrusted);
  p.space(6);
  p.add_left("Chỉ dành cho nhân viên: quét mã bằng máy quét của quầy. Không để khách quét, không đăng "
             "lên mạng.",
             s.small, false);
  p.rule(10);

  // Two columns when every code fits in half the paper at 5 dots or more
  // per module (0.6 mm, read at arm's length by any 2D scanner); otherwise
  // one column at up to 6 dots. A code's quiet zone may reach into the
  // margin (it is white either way); labels keep to the margins.
  const auto& commands = card_commands();
  std::vector<std::string> texts;
  for (const auto& cmd : commands) texts.push_back("RAVAO:CMD:" + std::string(cmd.verb) + ":" + c.counter_id);
  const int half = p.width() / 2;
  bool two = true;
  for (const auto& t : texts) two = two && qr_raster(t, 5).height <= half;
  const int columns = two ? 2 : 1;
  const int column = two ? half : p.width();  // each column's span, margins included
  const int label_width = floor8(column - 2 * margin);
  for (std::size_t i = 0; i < commands.size(); i += static_cast<std::size_t>(columns)) {
    const std::size_t end = std::min(commands.size(), i + static_cast<std::size_t>(columns));
    // Each cell: the QR code, its label and the verb, centred in the column.
    struct cell {
      raster qr, label, verb;
    };
    std::vector<cell> cells;
    int tallest = 0;
    for (std::size_t j = i; j < end; ++j) {
      cell k{fitted_qr(texts[j], 6, column), p.text(commands[j].label, s.body, true, label_width),
             p.text(commands[j].verb, s.small, false, label_width)};
      tallest = std::max(tallest, k.qr.height + k.label.height + 4 + k.verb.height);
      cells.push_back(std::move(k));
    }
    const int top = p.grow(tallest);
    for (std::size_t k = 0; k < cells.size(); ++k) {
      const int left = static_cast<int>(k) * column;
      const cell& ce = cells[k];
      p.blit(ce.qr, left + (column - ce.qr.height) / 2, top);
      p.center_lines(ce.label, s.body, true, left, column, top + ce.qr.height);
      p.center_lines(ce.verb, s.small, false, left, column, top + ce.qr.height + ce.label.height + 4);
    }
    if (cells.size() == 2) p.fill(half - 1, top + 8, half, top + tallest - 8);
    p.rule(10, 1);
  }
  // Where the counter console is, and the certificate's fingerprint the
  // browser must show for it (the console's own self-signed certificate).
  if (c.console_url) {
    p.space(6);
    p.add_left("Trang quầy: " + clip(*c.console_url, max_name_bytes), s.small, true, source::untrusted);
    if (c.console_fingerprint) {
      // Eight bytes a line: a fingerprint has no space to wrap at.
      std::string lines = "Dấu chứng chỉ (SHA-256):";
      const std::string fp = clip(*c.console_fingerprint, max_short_bytes);
      for (std::size_t i = 0; i < fp.size(); i += 24) lines += "\n" + fp.substr(i, 23);
      p.add_left(lines, s.small, false, source::untrusted);
    }
  }
  p.space(16);
  return std::move(p).finish();
}

// --- The printer test page ---------------------------------------------------

namespace {

// The twelve Vietnamese vowels, each with its five tones, and đ: every one
// of the 134 letters (67 lower case, 67 upper case) that is not plain ASCII.
constexpr std::string_view vietnamese_lower =
    "aàáảãạ ăằắẳẵặ âầấẩẫậ eèéẻẽẹ êềếểễệ iìíỉĩị oòóỏõọ ôồốổỗộ ơờớởỡợ uùúủũụ ưừứửữự yỳýỷỹỵ đ";
constexpr std::string_view vietnamese_upper =
    "AÀÁẢÃẠ ĂẰẮẲẴẶ ÂẦẤẨẪẬ EÈÉẺẼẸ ÊỀẾỂỄỆ IÌÍỈĨỊ OÒÓỎÕỌ ÔỒỐỔỖỘ ƠỜỚỞỠỢ UÙÚỦŨỤ ƯỪỨỬỮỰ YỲÝỶỸỴ Đ";

// A ruler across the whole paper: ticks every 8 dots (1 mm), longer every
// 48, longest with the dot count every 96.
void ruler(page& p) {
  const int w = p.width();
  const int number_size = p.sizes().small;
  std::vector<std::pair<raster, int>> numbers;
  int h = 0;
  for (int x = 0; x <= w; x += 96) {
    numbers.emplace_back(p.text(std::to_string(x), number_size, false, 64), x);
    h = std::max(h, numbers.back().first.height);
  }
  const int top = p.grow(h + 2);
  for (const auto& [r, x] : numbers) {
    const extent e = ink_extent(r);
    const int left = std::clamp(x - e.width() / 2, 0, w - e.width());
    p.blit(r, left - e.left, top);
  }
  const int base = p.grow(20) + 18;
  p.fill(0, base, w, base + 2);
  for (int x = 0; x < w; x += 8) {
    const int len = x % 96 == 0 ? 18 : x % 48 == 0 ? 12 : 6;
    p.fill(x, base - len, x + 1, base);
  }
  p.fill(w - 1, base - 18, w, base);
}

}  // namespace

result<raster> render_test_page(fonts& f, const test_page_content& c, int width_dots) {
  if (auto ok = check_width(width_dots, "test page"); !ok) return std::unexpected(ok.error());
  page p(f, width_dots);
  const type_sizes& s = p.sizes();
  p.space(8);
  p.add_centered("IN THỬ", s.title + 8, true);
  if (!c.site_name.empty()) p.add_centered(clip(c.site_name, max_name_bytes), s.body, true, source::untrusted);
  p.rule(10);
  p.add_left("Máy in: " + clip(c.printer_id, max_short_bytes), s.body, false, source::untrusted);
  p.add_left("Cấu hình: " + clip(c.profile_name, max_short_bytes), s.body, false, source::untrusted);
  p.add_left("Khổ in: " + std::to_string(width_dots) + " điểm = " + std::to_string(width_dots / 8) + " mm",
             s.body, false);
  if (!c.printed_at.empty()) {
    p.add_left("Thời gian: " + clip(c.printed_at, max_short_bytes), s.body, false, source::untrusted);
  }
  p.rule(10);
  p.add_left("Chữ thường:", s.small, false);
  p.add_left(vietnamese_lower, s.body, false);
  p.space(6);
  p.add_left("Chữ hoa:", s.small, false);
  p.add_left(vietnamese_upper, s.body, false);
  p.space(6);
  p.add_left("Chữ đậm: Đường Nguyễn Huệ, Quận 1, Thành phố Hồ Chí Minh", s.body, true);
  p.rule(10);
  p.add_left("Thước đo (số điểm in, 8 điểm = 1 mm):", s.small, false);
  p.space(4);
  ruler(p);
  p.space(12);
  p.add_left("Dải đen: vệt trắng dọc là điểm nhiệt hỏng.", s.small, false);
  p.space(4);
  const int band = p.grow(24);
  p.fill(0, band, p.width(), band + 24);
  p.space(12);
  p.add_qr(fitted_qr("RAVAO:TEST", 6, p.inner()));
  p.add_centered("Mã QR thử: RAVAO:TEST", s.small, false);
  p.space(16);
  return std::move(p).finish();
}

// --- The check-in poster and the printed copy of a declaration -------------

result<raster> render_poster(fonts& f, const poster_content& c, int width_dots) {
  if (auto ok = check_width(width_dots, "poster"); !ok) return std::unexpected(ok.error());
  page p(f, width_dots);
  const type_sizes& s = p.sizes();
  p.space(16);
  p.add_centered("QUÉT MÃ QR ĐỂ KHAI BÁO", s.title, true);
  if (!c.site_name.empty()) {
    p.space(8);
    p.add_centered(clip(c.site_name, max_name_bytes), s.title - 8, true, source::untrusted);
  }
  p.rule(12);
  // As large as the paper allows: scanned by phones from a wall or a desk.
  p.add_qr(fitted_qr(c.qr_text, 12, p.inner()));
  p.rule(12);
  p.add_centered("Mở ứng dụng camera hoặc ứng dụng khai báo trên điện thoại, quét mã QR này để khai báo khi "
                 "đến giao dịch.",
                 s.body, false);
  p.space(24);
  return std::move(p).finish();
}

result<raster> render_declaration_copy(fonts& f, const declaration_copy_content& c, int width_dots) {
  if (auto ok = check_width(width_dots, "declaration copy"); !ok) return std::unexpected(ok.error());
  page p(f, width_dots);
  const type_sizes& s = p.sizes();
  const auto line = [&](std::string_view label, std::string_view value) {
    if (!value.empty())
      p.add_left(std::string(label) + ": " + clip(value, max_name_bytes), s.body, false, source::untrusted);
  };
  p.space(8);
  p.add_centered("BẢN SAO TỜ KHAI Y TẾ", s.title - 8, true);
  if (!c.site_name.empty()) p.add_centered(clip(c.site_name, max_name_bytes), s.body, true, source::untrusted);
  if (!c.counter_name.empty()) p.add_centered(clip(c.counter_name, max_short_bytes), s.body, false, source::untrusted);
  p.rule(10);
  line("Thời gian", c.declared_at);
  line("Số phiếu", c.slip_number);
  if (c.record > 0) line("Mã bản ghi", std::to_string(c.record));
  line("Họ và tên", c.person_name_masked);
  line("Số giấy tờ", c.person_id_masked);
  p.rule(10);
  if (c.answers.empty()) {
    p.add_left("Nội dung khai báo không còn trên máy (chỉ giữ trong bộ nhớ đến khi in): xem tờ khai đã ghi nhận.",
               s.small, false);
  }
  for (const auto& [label, value] : c.answers) line(label, value.empty() ? std::string_view("—") : value);
  p.rule(10);
  line("Nhân viên ghi nhận", c.actor);
  p.add_left("Tờ khai đã được ghi nhận. Giữ bản này để đối chiếu khi cần.", s.small, false);
  p.space(24);
  return std::move(p).finish();
}

}  // namespace ravao::slip
