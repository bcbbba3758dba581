#pragma once
// The console's pages, styles and scripts, compiled into the binary (the
// branch may have no internet, and a page cannot change under a running
// server). The table is generated at build time from web/assets/ by
// web/embed_assets.cmake.

#include <span>
#include <string_view>

namespace ravao::web {

struct asset {
  std::string_view path;          // "/counter.html"
  std::string_view content_type;  // "text/html; charset=utf-8"
  std::string_view etag;          // "\"<first 128 bits of the SHA-256, hex>\""
  std::span<const unsigned char> bytes;
  std::string_view text() const { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }
};

std::span<const asset> embedded_assets();

// The asset at `path` ("/" is not one: the server redirects it), or null.
const asset* find_asset(std::string_view path);

}  // namespace ravao::web
