#include "drivers/escpos/encoder.hpp"

#include <algorithm>
#include <string>

#include <fmt/format.h>

namespace ravao::escpos {

namespace {

constexpr std::uint8_t esc = 0x1B, fs = 0x1C, gs = 0x1D;

std::uint8_t lo(int v) { return static_cast<std::uint8_t>(v & 0xFF); }
std::uint8_t hi(int v) { return static_cast<std::uint8_t>((v >> 8) & 0xFF); }

result<void> check(const raster& image, const printer_profile& p) {
  auto bad = [&](std::string what) { return fail(errc::invalid_argument, std::move(what)); };
  if (p.dots_per_line <= 0 || p.dots_per_line % 8 != 0 || p.dots_per_line / 8 > 0xFFFF)
    return bad(fmt::format("printer profile \"{}\": dots_per_line {} is not a positive multiple of 8", p.name,
                           p.dots_per_line));
  if (p.band_height < 1 || p.band_height > 255)
    return bad(fmt::format("printer profile \"{}\": band_height {} is outside 1..255", p.name, p.band_height));
  if (p.feed_lines < 0 || p.feed_lines > 255)
    return bad(fmt::format("printer profile \"{}\": feed_lines {} is outside 0..255", p.name, p.feed_lines));
  if (image.width <= 0 || image.width % 8 != 0 || image.height < 0)
    return bad(fmt::format("raster image {}x{}: width must be a positive multiple of 8", image.width, image.height));
  if (image.bits.size() != static_cast<std::size_t>(image.height) * image.stride())
    return bad(fmt::format("raster image {}x{}: has {} bytes of bits, expected {}", image.width, image.height,
                           image.bits.size(), static_cast<std::size_t>(image.height) * image.stride()));
  if (image.width > p.dots_per_line)
    return bad(fmt::format("raster image is {} dots wide but printer profile \"{}\" prints {} dots per line; "
                           "render the slip for this paper width",
                           image.width, p.name, p.dots_per_line));
  return {};
}

// ORs one image row into a full-width, zeroed paper row, `offset` dots from
// the left (any offset, not only whole bytes).
void place_row(const std::uint8_t* src, std::size_t src_bytes, std::uint8_t* dst, int offset) {
  const std::size_t first = static_cast<std::size_t>(offset / 8);
  const int shift = offset % 8;
  for (std::size_t i = 0; i < src_bytes; ++i) {
    if (shift == 0) {
      dst[first + i] = src[i];
      continue;
    }
    // The low bits spill into the next byte, which exists: offset + width
    // <= dots_per_line, so the last spilled dot is still on the paper.
    dst[first + i] |= static_cast<std::uint8_t>(src[i] >> shift);
    dst[first + i + 1] |= static_cast<std::uint8_t>(src[i] << (8 - shift));
  }
}

}  // namespace

result<job> encode_raster_job(const raster& image, const printer_profile& p, alignment align) {
  if (auto ok = check(image, p); !ok) return std::unexpected(ok.error());

  const int row_bytes = p.dots_per_line / 8;
  const int offset = align == alignment::center ? (p.dots_per_line - image.width) / 2 : 0;
  const std::size_t bands = static_cast<std::size_t>((image.height + p.band_height - 1) / p.band_height);

  job out;
  out.band_ends.reserve(bands);
  out.bytes.reserve(4 + bands * 8 + static_cast<std::size_t>(image.height) * static_cast<std::size_t>(row_bytes) + 7);
  out.bytes.insert(out.bytes.end(), {esc, '@'});
  if (p.leave_double_byte_mode) out.bytes.insert(out.bytes.end(), {fs, '.'});

  // Blank rows: a run of at least blank_run_rows white rows goes as narrow
  // white bands (8 dots wide, up to 255 rows each): the paper moves by the
  // same number of dot rows, for 1 byte per row instead of row_bytes. A slip
  // is about 40 % white space, so this nearly halves the bytes sent.
  std::vector<bool> blank(static_cast<std::size_t>(image.height));
  for (int y = 0; y < image.height; ++y) {
    const auto* row = image.bits.data() + static_cast<std::size_t>(y) * image.stride();
    blank[static_cast<std::size_t>(y)] = std::all_of(row, row + image.stride(), [](std::uint8_t b) { return b == 0; });
  }
  const auto blank_run_at = [&](int y) {
    int n = 0;
    while (y + n < image.height && blank[static_cast<std::size_t>(y + n)]) ++n;
    return n;
  };
  int top = 0;
  while (top < image.height) {
    if (const int run = blank_run_at(top); run >= blank_run_rows) {
      for (int done = 0; done < run;) {
        const int rows = std::min(255, run - done);
        out.bytes.insert(out.bytes.end(), {gs, 'v', '0', 0, 1, 0, lo(rows), hi(rows)});
        out.bytes.resize(out.bytes.size() + static_cast<std::size_t>(rows), 0);
        out.band_ends.push_back(out.bytes.size());
        done += rows;
      }
      top += run;
      continue;
    }
    // Printed rows up to band_height, stopping before a blank run long enough to skip.
    int rows = 0;
    while (rows < p.band_height && top + rows < image.height) {
      if (rows > 0 && blank[static_cast<std::size_t>(top + rows)] && blank_run_at(top + rows) >= blank_run_rows) break;
      ++rows;
    }
    out.bytes.insert(out.bytes.end(), {gs, 'v', '0', 0, lo(row_bytes), hi(row_bytes), lo(rows), hi(rows)});
    const std::size_t start = out.bytes.size();
    out.bytes.resize(start + static_cast<std::size_t>(rows) * static_cast<std::size_t>(row_bytes), 0);
    for (int y = 0; y < rows; ++y) {
      const std::uint8_t* src = image.bits.data() + static_cast<std::size_t>(top + y) * image.stride();
      std::uint8_t* dst = out.bytes.data() + start + static_cast<std::size_t>(y) * static_cast<std::size_t>(row_bytes);
      place_row(src, image.stride(), dst, offset);
    }
    out.band_ends.push_back(out.bytes.size());
    top += rows;
  }

  out.bytes.insert(out.bytes.end(), {esc, 'd', static_cast<std::uint8_t>(p.feed_lines)});
  if (p.cutter) out.bytes.insert(out.bytes.end(), {gs, 'V', 66, 0});
  return out;
}

}  // namespace ravao::escpos
