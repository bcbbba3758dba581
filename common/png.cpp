#include "common/png.hpp"

#include <cerrno>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <png.h>

namespace ravao::slip {

namespace {

// The part that runs under libpng's setjmp: only trivially destructible
// locals, so the longjmp of a libpng error skips no destructor.
bool write_rows(std::FILE* out, int width, int height, const std::uint8_t* rows, std::size_t stride) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (png == nullptr) return false;
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_init_io(png, out);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 1,
               PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < height; ++y) png_write_row(png, rows + static_cast<std::size_t>(y) * stride);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

}  // namespace

result<void> write_png(const raster& image, const std::filesystem::path& file) {
  if (image.width <= 0 || image.height <= 0 || image.width % 8 != 0 ||
      image.bits.size() != static_cast<std::size_t>(image.height) * image.stride()) {
    return fail(errc::invalid_argument, file.string() + ": cannot write an empty or malformed raster as PNG");
  }
  // The raster has 1 = black; PNG grayscale has 0 = black.
  std::vector<std::uint8_t> rows(image.bits.size());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<std::uint8_t>(~image.bits[i]);

  std::FILE* out = std::fopen(file.c_str(), "wb");
  if (out == nullptr) return fail_errno(errno, file.string() + ": cannot create PNG file");
  const bool written = write_rows(out, image.width, image.height, rows.data(), image.stride());
  int err = written && std::ferror(out) == 0 ? 0 : (errno != 0 ? errno : EIO);
  if (std::fclose(out) != 0 && err == 0) err = errno != 0 ? errno : EIO;
  if (err != 0) return fail_errno(err, file.string() + ": cannot write PNG file");
  return {};
}

}  // namespace ravao::slip
