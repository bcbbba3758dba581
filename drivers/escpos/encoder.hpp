#pragma once
// ESC/POS bytes for one print job whose content is a 1-bit raster image.
//
// No byte of text ever goes to the printer except as raster: a job is ESC @
// (initialise), FS . (leave double-byte mode, when the profile asks), the
// image as GS v 0 bands, ESC d n (feed) and GS V 66 0 (cut, when the printer
// has a cutter); nothing else. Vietnamese text, QR codes and logos are all
// drawn into the raster by the slip renderer, because code pages (TCVN-3,
// CP1258) and native QR (GS ( k) differ between printers and raster does not.
// The test-side decoder (tests/support/escpos_decoder.hpp) fails on any other
// byte, so this contract is checked.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/error.hpp"
#include "common/raster.hpp"
#include "drivers/escpos/profile.hpp"

namespace ravao::escpos {

enum class alignment { left, center };

// Runs of at least this many white rows are sent as 8-dot-wide white bands
// (the paper moves the same; 1 byte per row instead of a full row).
inline constexpr int blank_run_rows = 16;

struct job {
  std::vector<std::uint8_t> bytes;
  // Offset just past each GS v 0 band, ascending. A transport writes
  // [0, band_ends[0]) (which also holds the initialisation), then each
  // [band_ends[i-1], band_ends[i]), waiting for the printer between them,
  // and finally [band_ends.back(), bytes.size()) (feed and cut). Empty for an
  // image without rows.
  std::vector<std::size_t> band_ends;
};

// Encodes `image` for a printer described by `p`. An image narrower than
// p.dots_per_line is padded with white to the full width, placed at the left
// or centered (to the dot). Fails with errc::invalid_argument when the image
// is wider than the paper, its width is not a positive multiple of 8, its
// bits do not match its size, or the profile is unusable (band_height
// outside 1..255, dots_per_line not a positive multiple of 8, feed_lines
// outside 0..255).
result<job> encode_raster_job(const raster& image, const printer_profile& p, alignment align = alignment::center);

}  // namespace ravao::escpos
