#include "support/zbar_scan.hpp"

#include <zbar.h>

#include <cstdint>
#include <memory>

namespace ravao::test {

// zbar.h declares its C API in namespace zbar when compiled as C++. The page
// is scanned as an 8-bit grayscale (Y800) image.
std::vector<std::string> zbar_scan(const raster& page) {
  std::vector<std::uint8_t> gray(static_cast<std::size_t>(page.width) * static_cast<std::size_t>(page.height));
  for (int y = 0; y < page.height; ++y)
    for (int x = 0; x < page.width; ++x)
      gray[static_cast<std::size_t>(y) * static_cast<std::size_t>(page.width) + static_cast<std::size_t>(x)] =
          page.get(x, y) ? 0 : 255;
  using scanner_ptr = std::unique_ptr<zbar::zbar_image_scanner_t, decltype(&zbar::zbar_image_scanner_destroy)>;
  using image_ptr = std::unique_ptr<zbar::zbar_image_t, decltype(&zbar::zbar_image_destroy)>;
  scanner_ptr scanner(zbar::zbar_image_scanner_create(), &zbar::zbar_image_scanner_destroy);
  zbar::zbar_image_scanner_set_config(scanner.get(), zbar::ZBAR_NONE, zbar::ZBAR_CFG_ENABLE, 0);
  zbar::zbar_image_scanner_set_config(scanner.get(), zbar::ZBAR_QRCODE, zbar::ZBAR_CFG_ENABLE, 1);
  image_ptr image(zbar::zbar_image_create(), &zbar::zbar_image_destroy);
  constexpr unsigned long y800 = 'Y' | ('8' << 8) | ('0' << 16) | (static_cast<unsigned long>('0') << 24);
  zbar::zbar_image_set_format(image.get(), y800);
  zbar::zbar_image_set_size(image.get(), static_cast<unsigned>(page.width), static_cast<unsigned>(page.height));
  zbar::zbar_image_set_data(image.get(), gray.data(), gray.size(), nullptr);  // `gray` outlives the image
  std::vector<std::string> found;
  if (zbar::zbar_scan_image(scanner.get(), image.get()) < 0) return {"zbar error"};
  for (const zbar::zbar_symbol_t* s = zbar::zbar_image_first_symbol(image.get()); s; s = zbar::zbar_symbol_next(s))
    found.emplace_back(zbar::zbar_symbol_get_data(s), zbar::zbar_symbol_get_data_length(s));
  return found;
}

}  // namespace ravao::test
