#pragma once
// A strict reader of the ESC/POS byte stream ravao sends to printers: it
// knows exactly the commands the encoder may emit (drivers/escpos/encoder.hpp)
// plus the real-time status request, and fails on anything else, so a test
// fails the day a byte of text (or any command we do not mean to send)
// reaches the printer.
//
// Known: ESC @ (1B 40), FS . (1C 2E), GS v 0 m xL xH yL yH data (1D 76 30,
// m = 0 only, x and y non-zero), ESC d n (1B 64), GS V m [n] (1D 56; m 0, 1,
// 48, 49 alone, 65, 66 with n), DLE EOT n (10 04, n 1..4).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/raster.hpp"

namespace ravao::test {

struct escpos_command {
  enum class kind { initialize, leave_double_byte, raster, feed, cut, status_request };
  kind what = kind::initialize;
  std::size_t offset = 0;  // of its first byte in the stream
  int arg = 0;             // raster: m; feed: lines; cut: m; status_request: n
  int cut_feed = 0;        // cut with m 65/66: n
  int width = 0;           // raster: dots (8 * xL/xH)
  int height = 0;          // raster: rows
  std::size_t end = 0;     // offset just past its last byte
};

std::string_view name(escpos_command::kind k);

struct escpos_stream {
  // What would come out of the printer: the raster bands stacked, one page
  // per cut, and the bands after the last cut as a final page. Feeds are not
  // drawn (their height depends on the line spacing); see `commands`.
  std::vector<raster> pages;
  std::vector<escpos_command> commands;
};

// Appends a GS v 0 band (`width_bytes` x `rows`, `data`) to `page`. Bands
// may differ in width only when the narrower ones are all white (the
// encoder sends runs of white rows as 8-dot bands): those are drawn as white
// rows of the page's width, and a wider band after narrow white ones widens
// what came before. False (page unchanged) for a narrower band with black
// dots, or a wider band after black rows.
bool append_band(raster& page, int width_bytes, int rows, std::span<const std::uint8_t> data);

// Fails with errc::protocol, saying the offset and the byte, on an unknown
// byte or command, a truncated command, or bands of different widths in one
// page.
result<escpos_stream> decode_escpos(std::span<const std::uint8_t> bytes);

}  // namespace ravao::test
