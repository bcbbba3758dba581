#pragma once
// An independent QR reader for the tests: libzbar scanning a 1-bit raster
// (a printed page rebuilt from ESC/POS bytes, or a rendered slip).

#include <string>
#include <vector>

#include "common/raster.hpp"

namespace ravao::test {

// Every QR code zbar finds in `page` (black = 1), as its decoded text. Empty
// when none is found; zbar failing outright is reported as one entry
// "zbar error".
std::vector<std::string> zbar_scan(const raster& page);

}  // namespace ravao::test
