#pragma once
// Gzip bodies for the sync protocol (zlib). Decompression is bounded: a body
// that inflates past `max_bytes` is refused, not buffered (a "zip bomb" from
// an untrusted peer costs at most max_bytes of memory).

#include <cstddef>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace ravao::gzip {

// level: 1 (fast) .. 9 (small); 6 is zlib's default.
std::string compress(std::string_view data, int level = 6);
result<std::string> decompress(std::string_view gz, std::size_t max_bytes);

}  // namespace ravao::gzip
