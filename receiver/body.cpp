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

// A string's heap block, none while it fits in the string itself.
std::size_t heap_of(const std::string& s) {
  return s.capacity() > std::string().capacity() ? s.capacity() + 1 : 0;
}
}  // namespace

std::size_t memory_of(const decoded_body& d) {
  if (const auto* b = std::get_if<batch>(&d)) {
    std::size_t n = heap_of(b->gateway) + heap_of(b->stream) + heap_of(b->sent.boot_id) +
                    b->records.capacity() * sizeof(record_row);
    for (const record_row& r : b->records)
      n += heap_of(r.type) + heap_of(r.counter) + heap_of(r.at.boot_id) + heap_of(r.actor) + heap_of(r.json);
    return n;
  }
  if (const auto* h = std::get_if<heartbeat>(&d))
    return heap_of(h->gateway) + heap_of(h->stream) + heap_of(h->sent.boot_id) + heap_of(h->json);
  if (const auto* v = std::get_if<invalid_records>(&d)) return heap_of(v->gateway) + v->rejected.capacity() * sizeof(rejection);
  return 0;
}

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
