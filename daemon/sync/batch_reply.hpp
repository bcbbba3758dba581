#pragma once
// What the uploader does with the server's answer to one batch
// (docs/sync-protocol.md "Replies", docs/sync.md), decided from the status,
// the body and Retry-After alone: no network, no store, no clock but the one
// given. The uploader carries the decision out (sends again, records the
// acknowledgement or the dead letters, backs off); the rules are unit-tested
// on their own (tests/daemon/sync/batch_reply_test.cpp).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace ravao::sync {

struct server_reply {
  unsigned status = 0;
  std::string body;
  std::string retry_after;  // the header's value; empty when absent
};

// The batch that was sent, as far as the decision needs it.
struct sent_batch {
  std::span<const std::int64_t> seqs;  // increasing, not empty
  std::size_t limit = 1;               // the record limit it was read with
  std::size_t max_records = 1;         // [sync] batch_max_records
};

enum class reply_kind {
  stored,          // 200: the server stored the batch through `through`
  reauthenticate,  // a first 401: a new connection (the token file read again), the same batch once more
  retry,           // back off, at least `at_least`; `error` says why
  split,           // 400/413/422 naming no record: send the first `next_limit` records alone
  dead_letter,     // these records will never be accepted: set aside, the others go on
  conflict,        // 409: the server holds other content under these seqs: nothing is acknowledged,
                   // the batch is sent again after a backoff, and the conflict is an alarm
};

struct reply_decision {
  reply_kind kind = reply_kind::retry;
  std::int64_t through = 0;     // stored: the last seq the server stored, within the batch
  std::int64_t stored = 0;      // stored: how many of the batch's records that covers
  std::int64_t duplicates = 0;  // stored: how many of them the server already had
  std::vector<dead_letter> dead;                      // dead_letter: seqs of this batch, with the server's reason
  std::vector<std::int64_t> conflicts;                // conflict: seqs of this batch the server named
                                                      // (the batch's first when it named none)
  std::string error;                                  // retry, conflict: in words, for the log and `ravaoctl sync`
  std::optional<std::chrono::milliseconds> at_least;  // retry: the server's Retry-After (at most 1 h)
  // The record limit for the next batch: doubled (up to max_records) after
  // a success, halved by a split, otherwise unchanged.
  std::size_t next_limit = 1;
};

// `after_reauthentication`: `r` answers the batch sent again after a 401, so
// another 401 is reported rather than retried. `now_wall_ms` dates Retry-After.
reply_decision decide_reply(const server_reply& r, const sent_batch& batch, bool after_reauthentication,
                            std::int64_t now_wall_ms);

}  // namespace ravao::sync
