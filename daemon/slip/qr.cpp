#include "slip/qr.hpp"

#include <algorithm>
#include <memory>
#include <string>

#include <qrencode.h>

namespace ravao::slip {

namespace {
struct qrcode_deleter {
  void operator()(QRcode* q) const { QRcode_free(q); }
};
}  // namespace

raster qr_raster(std::string_view text, int module_dots) {
  module_dots = std::clamp(module_dots, 1, max_module_dots);
  // QRcode_encodeData rejects empty data; the largest QR code holds 2,953
  // bytes, so longer text is refused before it reaches the encoder.
  if (text.empty() || text.size() > 4096) return {};
  // encodeData takes bytes with NULs allowed (8-bit mode); version 0 picks
  // the smallest version that fits.
  std::unique_ptr<QRcode, qrcode_deleter> code(QRcode_encodeData(
      static_cast<int>(text.size()),
      reinterpret_cast<const unsigned char*>(text.data()), 0, QR_ECLEVEL_M));
  if (!code) return {};
  const int modules = code->width;
  const int side = (modules + 2 * qr_quiet_zone_modules) * module_dots;
  raster out((side + 7) / 8 * 8, side);
  for (int my = 0; my < modules; ++my) {
    for (int mx = 0; mx < modules; ++mx) {
      // Bit 0 of each byte is the module's colour (1 = black).
      if ((code->data[my * modules + mx] & 1) == 0) continue;
      const int x0 = (mx + qr_quiet_zone_modules) * module_dots;
      const int y0 = (my + qr_quiet_zone_modules) * module_dots;
      for (int y = 0; y < module_dots; ++y) {
        for (int x = 0; x < module_dots; ++x) out.set(x0 + x, y0 + y);
      }
    }
  }
  return out;
}

}  // namespace ravao::slip
