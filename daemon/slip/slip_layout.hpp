#pragma once
// What ravao prints: the paper health-declaration slip, the counter's command
// card and the printer test page, each drawn as one 1-bit raster as wide as
// the paper (384 dots for 58 mm, 576 for 80 mm). All text is untrusted and
// goes only through text_renderer (pixels, never printer bytes).
// docs/slips.md ("Slip layout") shows what each contains and why.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/error.hpp"
#include "common/raster.hpp"
#include "slip/job_content.hpp"  // slip_content, card_content, test_page_content
#include "slip/text_renderer.hpp"

namespace ravao::slip {

// The regular and bold faces every layout uses. Not thread-safe (one per thread).
struct fonts {
  text_renderer regular;
  text_renderer bold;
  // The layouts' own fixed texts (labels, headings) as drawn by these faces,
  // keyed by face, size, line width and text, so that a slip draws only
  // what varies (FreeType's hinting is most of the cost of a slip).
  // Untrusted text is never kept here; it belongs to these faces.
  std::unordered_map<std::string, raster> drawn = {};
  // DejaVu Sans and DejaVu Sans Bold (default_font_path, default_bold_font_path).
  static result<fonts> open_default();
};

// The declaration slip: header (site, counter, date/time, slip number), the
// form of the content's definition (default_form() when it has none): its
// fields in order as blanks, checkboxes and yes/no tables; its consent
// sentence, date and signature line, and the QR code.
result<raster> render_slip(fonts& f, const slip_content& c, int width_dots);

// The command verbs on a card, in the order printed, with their Vietnamese labels.
struct card_command {
  std::string_view verb;   // "PRINT_SLIP", "CHECKOUT_LAST", "UNDO_LAST", "PRINTER_TEST"
  std::string_view label;  // "In phiếu khai báo", ...
};
const std::vector<card_command>& card_commands();

// The counter's command card: one QR code per command (RAVAO:CMD:VERB:COUNTER)
// with its label under it.
result<raster> render_command_card(fonts& f, const card_content& c, int width_dots);

// A test page: every Vietnamese letter, a ruler of the full paper width, a QR
// code, and the printer's id and profile.
result<raster> render_test_page(fonts& f, const test_page_content& c, int width_dots);

// The site's check-in QR poster: a heading, the site's name, the QR code
// of [site] checkin_qr as large as the paper allows, and a Vietnamese line
// telling visitors to scan it with their phones.
result<raster> render_poster(fonts& f, const poster_content& c, int width_dots);

// The visitor's copy of a proxy declaration: site, counter, time, slip
// number, the masked identity, the answers (label: value, in order), the
// staff member who recorded it.
result<raster> render_declaration_copy(fonts& f, const declaration_copy_content& c, int width_dots);

// Stacks rasters top to bottom into one of `width` dots (each part placed at
// the left, narrower parts padded white; wider parts are an error).
result<raster> stack(const std::vector<raster>& parts, int width);

}  // namespace ravao::slip
