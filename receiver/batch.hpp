#pragma once
// Request bodies of the sync protocol (docs/sync-protocol.md) parsed and
// validated: the batch envelope and each record, the heartbeat envelope.
// Three outcomes for a batch: valid (store it), a broken envelope (400/413:
// the gateway splits the batch), or records that break the rules (422 with
// the list of their seqs: the gateway dead-letters exactly those). Fields a
// receiver does not know are kept, never refused.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ravao::receiver {

inline constexpr std::size_t max_records_per_batch = 10'000;
// JSON values in one body (every object, array, key, string, number, true,
// false and null counts one), checked by a counting pass before anything is
// allocated: 413 beyond. A record of the protocol holds about 20, so a batch
// at max_records_per_batch stays far below; a body of millions of tiny
// values ("[0,0,0,...") would otherwise cost tens of bytes of memory each.
inline constexpr std::size_t max_batch_json_values = 500'000;
inline constexpr std::size_t max_heartbeat_json_values = 8'192;
// What one heartbeat may store (it is kept twice: history and latest): 413 beyond.
inline constexpr std::size_t max_heartbeat_stored_bytes = 64 * 1024;

// A gateway's clock at one moment ("sent" stamps and each record's time).
struct clock_stamp {
  std::int64_t wall_ms = 0;
  std::string boot_id;
  std::int64_t boottime_ns = 0;
  bool clock_synced = false;
};

struct record_row {
  std::int64_t seq = 0;
  std::string type;
  std::string counter;
  clock_stamp at;
  std::string actor;  // who asked for it at the gateway ("web:alice"); empty: nobody (a scan, the daemon)
  std::string json;  // the record object as received, serialized compactly
};

struct batch {
  std::string gateway;
  std::string stream;
  clock_stamp sent;
  std::vector<record_row> records;  // seq strictly increasing
};

struct heartbeat {
  std::string gateway;
  std::string stream;
  clock_stamp sent;
  std::string json;  // the whole body, serialized compactly
};

// 400 (malformed) or 413 (too many records or JSON values, a heartbeat too
// large to store); `gateway` when the envelope got that far.
struct bad_request {
  unsigned status = 400;
  std::string message;
  std::string gateway;
};

struct rejection {
  std::int64_t seq = 0;
  std::string reason;
};

// 422: the batch is well formed but these records are not acceptable.
struct invalid_records {
  std::string gateway;
  std::vector<rejection> rejected;
};

using batch_outcome = std::variant<batch, bad_request, invalid_records>;
using heartbeat_outcome = std::variant<heartbeat, bad_request>;

batch_outcome parse_batch(std::string_view body);
heartbeat_outcome parse_heartbeat(std::string_view body);

}  // namespace ravao::receiver
