#pragma once
// A request body from the wire to a parsed batch or heartbeat: gunzip
// (bounded by the endpoint's inflated cap), then parse_batch/parse_heartbeat
// (which cap the number of JSON values). Pure and self-contained: it owns
// its input, touches no server state and logs nothing, so the server runs it
// on its worker pool while the I/O thread keeps serving other connections.

#include <cstddef>
#include <string>
#include <variant>

#include "receiver/batch.hpp"

namespace ravao::receiver {

enum class endpoint { batches, heartbeats };

// Per endpoint: the most a body may hold, as sent and after gunzip
// (docs/sync-protocol.md, Limits). A batch at the protocol's bound is 4 MiB
// of JSON; a heartbeat is a few KiB.
struct body_limits {
  std::size_t max_sent_bytes = 0;
  std::size_t max_inflated_bytes = 0;
};
inline constexpr body_limits batch_limits{.max_sent_bytes = 8 * 1024 * 1024, .max_inflated_bytes = 8 * 1024 * 1024};
inline constexpr body_limits heartbeat_limits{.max_sent_bytes = 64 * 1024, .max_inflated_bytes = 64 * 1024};

constexpr const body_limits& limits_of(endpoint e) {
  return e == endpoint::batches ? batch_limits : heartbeat_limits;
}

// A body refused as a whole: 400, 413 or 415, with the statistics outcome
// ("malformed", "too_large") and the gateway when the envelope named one.
struct refused_body {
  unsigned status = 400;
  std::string message;
  std::string outcome;
  std::string gateway;
};

using decoded_body = std::variant<batch, invalid_records, heartbeat, refused_body>;

// `encoding` is the Content-Encoding header: gzip, x-gzip, identity or empty.
decoded_body decode_body(endpoint where, std::string body, std::string encoding);

// The heap a decoded body holds (its strings and vectors), for the body
// budget: a gzip body's records take several times its Content-Length.
std::size_t memory_of(const decoded_body& d);

}  // namespace ravao::receiver
