#include "support/escpos_decoder.hpp"

#include <algorithm>

#include <optional>
#include <string>

#include <fmt/format.h>

namespace ravao::test {

std::string_view name(escpos_command::kind k) {
  switch (k) {
    case escpos_command::kind::initialize: return "ESC @";
    case escpos_command::kind::leave_double_byte: return "FS .";
    case escpos_command::kind::raster: return "GS v 0";
    case escpos_command::kind::feed: return "ESC d";
    case escpos_command::kind::cut: return "GS V";
    case escpos_command::kind::status_request: return "DLE EOT";
  }
  return "?";
}

namespace {

class reader {
 public:
  explicit reader(std::span<const std::uint8_t> b) : bytes_(b) {}

  result<escpos_stream> run() {
    while (pos_ < bytes_.size()) {
      start_ = pos_;
      const std::uint8_t b = bytes_[pos_++];
      result<void> ok;
      switch (b) {
        case 0x1B: ok = esc(); break;
        case 0x1C: ok = fs(); break;
        case 0x1D: ok = gs(); break;
        case 0x10: ok = dle(); break;
        default: ok = bad(fmt::format("unexpected byte 0x{:02X}{}", b, printable(b))); break;
      }
      if (!ok) return std::unexpected(ok.error());
    }
    end_page();
    return std::move(out_);
  }

 private:
  static std::string printable(std::uint8_t b) {
    return b >= 0x20 && b < 0x7F ? fmt::format(" ('{}', text?)", static_cast<char>(b)) : std::string();
  }

  std::unexpected<error> bad(std::string what) const {
    return fail(errc::protocol, fmt::format("ESC/POS offset {}: {}", start_, what));
  }

  std::optional<std::uint8_t> next() {
    if (pos_ >= bytes_.size()) return std::nullopt;
    return bytes_[pos_++];
  }

  std::unexpected<error> truncated(std::string_view cmd) const {
    return bad(fmt::format("{} truncated at end of stream", cmd));
  }

  static escpos_command make(escpos_command::kind k, int arg = 0) {
    escpos_command c;
    c.what = k;
    c.arg = arg;
    return c;
  }

  void add(escpos_command c) {
    c.offset = start_;
    c.end = pos_;
    out_.commands.push_back(c);
  }

  result<void> esc() {
    auto c = next();
    if (!c) return truncated("ESC");
    if (*c == '@') {
      add(make(escpos_command::kind::initialize));
      return {};
    }
    if (*c == 'd') {
      auto n = next();
      if (!n) return truncated("ESC d");
      add(make(escpos_command::kind::feed, *n));
      return {};
    }
    return bad(fmt::format("unexpected command ESC 0x{:02X}", *c));
  }

  result<void> fs() {
    auto c = next();
    if (!c) return truncated("FS");
    if (*c != '.') return bad(fmt::format("unexpected command FS 0x{:02X}", *c));
    add(make(escpos_command::kind::leave_double_byte));
    return {};
  }

  result<void> dle() {
    auto c = next();
    if (!c) return truncated("DLE");
    if (*c != 0x04) return bad(fmt::format("unexpected command DLE 0x{:02X}", *c));
    auto n = next();
    if (!n) return truncated("DLE EOT");
    if (*n < 1 || *n > 4) return bad(fmt::format("DLE EOT {}: n must be 1..4", *n));
    add(make(escpos_command::kind::status_request, *n));
    return {};
  }

  result<void> gs() {
    auto c = next();
    if (!c) return truncated("GS");
    if (*c == 'V') return cut();
    if (*c == 'v') return raster_band();
    return bad(fmt::format("unexpected command GS 0x{:02X}", *c));
  }

  result<void> cut() {
    auto m = next();
    if (!m) return truncated("GS V");
    escpos_command cmd = make(escpos_command::kind::cut, *m);
    if (*m == 65 || *m == 66) {
      auto n = next();
      if (!n) return truncated("GS V");
      cmd.cut_feed = *n;
    } else if (*m != 0 && *m != 1 && *m != 48 && *m != 49) {
      return bad(fmt::format("GS V {}: unknown cut mode", *m));
    }
    add(cmd);
    end_page();
    return {};
  }

  result<void> raster_band() {
    std::uint8_t h[6];
    for (auto& x : h) {
      auto b = next();
      if (!b) return truncated("GS v 0");
      x = *b;
    }
    if (h[0] != '0') return bad(fmt::format("unexpected command GS v 0x{:02X}", h[0]));
    if (h[1] != 0) return bad(fmt::format("GS v 0 mode {}: only 0 (normal size) is sent", h[1]));
    const int x_bytes = h[2] | (h[3] << 8);
    const int rows = h[4] | (h[5] << 8);
    if (x_bytes == 0 || rows == 0) return bad(fmt::format("GS v 0 of {} bytes x {} rows: empty band", x_bytes, rows));
    const std::size_t size = static_cast<std::size_t>(x_bytes) * static_cast<std::size_t>(rows);
    if (bytes_.size() - pos_ < size)
      return bad(fmt::format("GS v 0 needs {} bytes of data, {} left", size, bytes_.size() - pos_));
    if (!append_band(page_, x_bytes, rows, bytes_.subspan(pos_, size)))
      return bad(fmt::format("GS v 0 band is {} dots wide, the page so far {}, and the narrower is not all white",
                             x_bytes * 8, page_.width));
    pos_ += size;
    escpos_command cmd = make(escpos_command::kind::raster, h[1]);
    cmd.width = x_bytes * 8;
    cmd.height = rows;
    add(cmd);
    return {};
  }

  void end_page() {
    if (page_.height > 0) out_.pages.push_back(std::move(page_));
    page_ = raster();
  }

  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
  std::size_t start_ = 0;
  raster page_;
  escpos_stream out_;
};

}  // namespace

result<escpos_stream> decode_escpos(std::span<const std::uint8_t> bytes) { return reader(bytes).run(); }

bool append_band(raster& page, int width_bytes, int rows, std::span<const std::uint8_t> data) {
  const auto white = [](std::span<const std::uint8_t> d) {
    return std::all_of(d.begin(), d.end(), [](std::uint8_t b) { return b == 0; });
  };
  const int width = width_bytes * 8;
  if (page.height == 0 || page.width == width) {
    page.width = width;
    page.height += rows;
    page.bits.insert(page.bits.end(), data.begin(), data.end());
    return true;
  }
  if (width < page.width) {
    if (!white(data)) return false;
    page.height += rows;
    page.bits.resize(static_cast<std::size_t>(page.height) * page.stride(), 0);
    return true;
  }
  if (!white(page.bits)) return false;  // wider than black rows before it
  raster wider(width, page.height + rows);
  std::copy(data.begin(), data.end(), wider.bits.begin() + static_cast<std::ptrdiff_t>(page.height) * width_bytes);
  page = std::move(wider);
  return true;
}

}  // namespace ravao::test
