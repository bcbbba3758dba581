#pragma once
// PNG files of rasters, for previews of slips and for tests that look at
// what would have been printed.

#include <filesystem>

#include "common/error.hpp"
#include "common/raster.hpp"

namespace ravao::slip {

// Writes `image` as a 1-bit grayscale PNG (black dots as 0, white as 1, as
// PNG's grayscale has it). Fails on an empty raster or an I/O error, with a
// message naming the file.
result<void> write_png(const raster& image, const std::filesystem::path& file);

}  // namespace ravao::slip
