#pragma once
// What the ESC/POS encoder needs to know about one printer model: paper width
// in dots, how tall a raster band may be, and which optional commands it
// takes. Plain constant data; the table lives in profile.cpp.

#include <span>
#include <string_view>

namespace ravao::escpos {

struct printer_profile {
  std::string_view name;
  int dots_per_line = 384;  // 384 for 58 mm paper, 576 for 80 mm (203 dpi); a multiple of 8
  // Rows per GS v 0 command (1..255). A band is what the transport writes in
  // one go before flow control; keep band_height * dots_per_line / 8 under
  // the printer's receive buffer (about 4 KiB on clones), or the rest of an
  // overrun band prints as garbage text.
  int band_height = 64;
  bool native_qr = false;               // knows GS ( k (not used by the encoder: QR codes go as raster)
  bool cutter = false;                  // has an auto-cutter: the job ends with GS V 66 0
  bool leave_double_byte_mode = false;  // send FS . after ESC @ (Chinese-market clones start in it)
  int feed_lines = 4;                   // ESC d n after the image: past the tear bar / to the cutter
};

// The profile for a printer nobody named: "generic-80" for paper 80 mm wide
// or wider, otherwise "generic-58" (the narrower is the safe guess). Never
// fails; the reference is to static data.
const printer_profile& generic_profile(int paper_width_mm);

// The named profile, or nullptr when `name` is unknown (the caller reports
// it; there is no silent fallback to a generic profile).
const printer_profile* find_profile(std::string_view name);

// Every named profile, for error messages ("expected generic-58, ...").
std::span<const printer_profile> profiles();

}  // namespace ravao::escpos
