#pragma once
// QR codes for slips, drawn by libqrencode as a raster the printer takes as
// is (no dependence on the printer's own QR firmware).

#include <string_view>

#include "common/raster.hpp"

namespace ravao::slip {

inline constexpr int qr_quiet_zone_modules = 4;
inline constexpr int max_module_dots = 32;

// `text` as a QR code in 8-bit mode, error correction level M, each module
// module_dots x module_dots dots (clamped to 1..max_module_dots), with a
// quiet zone of 4 modules on every side. The height is
// (modules + 8) * module_dots; the width is the same rounded up to a multiple
// of 8 (the raster's rule), the extra columns white on the right. An empty
// raster when the text does not fit in a QR code (over 2,331 bytes).
raster qr_raster(std::string_view text, int module_dots);

}  // namespace ravao::slip
