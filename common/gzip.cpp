#include "common/gzip.hpp"

#include <zlib.h>

#include <algorithm>

#include <fmt/format.h>

namespace ravao::gzip {
namespace {

constexpr int gzip_window = 15 + 16;  // 32 KiB window, gzip header and trailer

}  // namespace

std::string compress(std::string_view data, int level) {
  z_stream z{};
  deflateInit2(&z, level, Z_DEFLATED, gzip_window, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);  // deflateBound guarantees room for Z_FINISH in one call
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

result<std::string> decompress(std::string_view gz, std::size_t max_bytes) {
  z_stream z{};
  if (inflateInit2(&z, gzip_window) != Z_OK) return fail(errc::protocol, "gzip: cannot start inflating");
  std::string out;
  out.resize(std::min<std::size_t>(max_bytes, std::max<std::size_t>(gz.size() * 4, 4096)));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  int rc = Z_OK;
  while (true) {
    z.next_out = reinterpret_cast<Bytef*>(out.data() + z.total_out);
    z.avail_out = static_cast<uInt>(out.size() - z.total_out);
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      inflateEnd(&z);
      return fail(errc::protocol, fmt::format("gzip: corrupt body ({})", z.msg ? z.msg : "inflate failed"));
    }
    if (z.avail_out == 0) {
      if (out.size() >= max_bytes) {
        inflateEnd(&z);
        return fail(errc::protocol, fmt::format("gzip: body inflates past {} bytes", max_bytes));
      }
      out.resize(std::min(max_bytes, out.size() * 2));
    } else if (z.avail_in == 0) {
      inflateEnd(&z);
      return fail(errc::protocol, "gzip: body is truncated");
    }
  }
  out.resize(z.total_out);
  const bool trailing = z.avail_in != 0;
  inflateEnd(&z);
  if (trailing) return fail(errc::protocol, "gzip: bytes after the end of the gzip stream");
  return out;
}

}  // namespace ravao::gzip
