#include "drivers/escpos/profile.hpp"

#include <array>

namespace ravao::escpos {

namespace {

// Band heights keep one band of 58 mm (48 bytes a row) or 80 mm (72 bytes a
// row) paper under about 4 KiB, the receive buffer of the smallest printers
// in the field. Generic profiles assume a clone: FS . is harmless on printers
// that are not in double-byte mode, and printing Chinese glyphs instead of
// an image is not.
constexpr std::array table{
    printer_profile{.name = "generic-58", .dots_per_line = 384, .band_height = 80, .native_qr = false,
                    .cutter = false, .leave_double_byte_mode = true, .feed_lines = 4},
    printer_profile{.name = "generic-80", .dots_per_line = 576, .band_height = 48, .native_qr = false,
                    .cutter = true, .leave_double_byte_mode = true, .feed_lines = 3},
    printer_profile{.name = "epson-tm-t20", .dots_per_line = 576, .band_height = 48, .native_qr = true,
                    .cutter = true, .leave_double_byte_mode = false, .feed_lines = 3},
    printer_profile{.name = "xprinter-58", .dots_per_line = 384, .band_height = 64, .native_qr = true,
                    .cutter = false, .leave_double_byte_mode = true, .feed_lines = 4},
};

}  // namespace

const printer_profile& generic_profile(int paper_width_mm) {
  return paper_width_mm >= 80 ? table[1] : table[0];
}

const printer_profile* find_profile(std::string_view name) {
  for (const auto& p : table)
    if (p.name == name) return &p;
  return nullptr;
}

std::span<const printer_profile> profiles() { return table; }

}  // namespace ravao::escpos
