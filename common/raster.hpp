#pragma once
// A 1-bit image as thermal printers take it: rows of width/8 bytes, most
// significant bit = leftmost dot, 1 = black (printed). The slip renderer
// produces it; the ESC/POS encoder sends it (GS v 0); the test-side decoder
// rebuilds it from the byte stream.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ravao {

struct raster {
  int width = 0;   // dots, a multiple of 8 (384 for 58 mm paper, 576 for 80 mm at 203 dpi)
  int height = 0;  // dots
  std::vector<std::uint8_t> bits;  // height * stride() bytes

  raster() = default;
  raster(int w, int h)
      : width(w), height(h), bits(static_cast<std::size_t>(h) * static_cast<std::size_t>(w / 8), 0) {}
  std::size_t stride() const { return static_cast<std::size_t>(width / 8); }
  bool get(int x, int y) const {
    return (bits[static_cast<std::size_t>(y) * stride() + static_cast<std::size_t>(x / 8)] >> (7 - x % 8)) & 1;
  }
  void set(int x, int y, bool black = true) {
    auto& b = bits[static_cast<std::size_t>(y) * stride() + static_cast<std::size_t>(x / 8)];
    const auto mask = static_cast<std::uint8_t>(0x80u >> (x % 8));
    b = black ? static_cast<std::uint8_t>(b | mask) : static_cast<std::uint8_t>(b & ~mask);
  }
  friend bool operator==(const raster&, const raster&) = default;
};

}  // namespace ravao
