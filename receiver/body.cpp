#include "receiver/body.hpp"

#include <fmt/format.h>

#include "common/gzip.hpp"

namespace ravao::receiver {

namespace {

refused_body from(bad_request bad) {
  return {.status = bad.status,
          .message = std::move(bad.message),
          .outcome = bad.status == 413 ? "too_large" : "malformed",
          .gateway = std::move(bad.gateway)};
}

}  // namespace

decoded_body decode_body(endpoint where, std::string body, std::string encoding) {
  const auto& limits = limits_of(where);
  if (encoding == "gzip" || encoding == "x-gzip") {
    auto inflated = gzip::decompress(body, limits.max_inflated_bytes);
    if (!inflated) {
      if (inflated.error().context.find("inflates past") != std::string::npos) {
        return refused_body{.status = 413,
                            .message = fmt::format("body inflates past {} bytes", limits.max_inflated_bytes),
                            .outcome = "too_large",
                            .gateway = {}};
      }
      return refused_body{.status = 400, .message = inflated.error().message(), .outcome = "malformed", .gateway = {}};
    }
    body = std::move(*inflated);
  } else if (!encoding.empty() && encoding != "identity") {
    return refused_body{.status = 415,
                        .message = "Content-Encoding must be gzip or identity",
                        .outcome = "malformed",
                        .gateway = {}};
  } else if (body.size() > limits.max_inflated_bytes) {
    return refused_body{.status = 413,
                        .message = fmt::format("body larger than {} bytes", limits.max_inflated_bytes),
                        .outcome = "too_large",
                        .gateway = {}};
  }
  if (where == endpoint::batches) {
    auto outcome = parse_batch(body);
    if (auto* bad = std::get_if<bad_request>(&outcome)) return from(std::move(*bad));
    if (auto* invalid = std::get_if<invalid_records>(&outcome)) return std::move(*invalid);
    return std::move(std::get<batch>(outcome));
  }
  auto outcome = parse_heartbeat(body);
  if (auto* bad = std::get_if<bad_request>(&outcome)) return from(std::move(*bad));
  return std::move(std::get<heartbeat>(outcome));
}

}  // namespace ravao::receiver
