// The uploader's decisions on the server's answer to a batch
// (daemon/sync/batch_reply.*; docs/sync-protocol.md "Replies"): a 200
// acknowledges what the server stored; a first 401 re-authenticates, a second
// is reported; 429/503 honour Retry-After; 422 naming records dead-letters
// exactly those; 400/413/422 naming none split the batch in halves until the
// record at fault stands alone.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "sync/batch_reply.hpp"

using namespace std::chrono_literals;
using namespace ravao::sync;

namespace {

constexpr std::int64_t now_ms = 784'111'777'000;  // Sun, 06 Nov 1994 08:49:37 GMT

reply_decision decide(unsigned status, std::string body, const std::vector<std::int64_t>& seqs,
                      std::string retry_after = {}, bool after_reauthentication = false, std::size_t limit = 8,
                      std::size_t max_records = 500) {
  const server_reply r{status, std::move(body), std::move(retry_after)};
  return decide_reply(r, sent_batch{seqs, limit, max_records}, after_reauthentication, now_ms);
}

const std::vector<std::int64_t> seqs{3, 5, 8, 9};  // not contiguous: 4, 6, 7 were dead-lettered before

}  // namespace

BOOST_AUTO_TEST_CASE(a_200_acknowledges_what_was_stored_and_grows_the_batch) {
  auto d = decide(200, R"({"stored_through":9,"duplicates":2})", seqs);
  BOOST_TEST((d.kind == reply_kind::stored));
  BOOST_TEST(d.through == 9);
  BOOST_TEST(d.stored == 4);
  BOOST_TEST(d.duplicates == 2);
  BOOST_TEST(d.next_limit == 16u);
  // Doubling stops at [sync] batch_max_records.
  BOOST_TEST(decide(200, R"({"stored_through":9})", seqs, {}, false, 400, 500).next_limit == 500u);
}

BOOST_AUTO_TEST_CASE(a_200_for_part_of_the_batch_counts_only_that_part) {
  auto d = decide(200, R"({"stored_through":6})", seqs);
  BOOST_TEST((d.kind == reply_kind::stored));
  BOOST_TEST(d.through == 6);
  BOOST_TEST(d.stored == 2);  // 3 and 5
  BOOST_TEST(d.duplicates == 0);
  // Past the batch's end: only the batch is acknowledged.
  d = decide(200, R"({"stored_through":1000})", seqs);
  BOOST_TEST(d.through == 9);
  BOOST_TEST(d.stored == 4);
}

BOOST_AUTO_TEST_CASE(a_200_that_cannot_be_read_or_acknowledges_nothing_of_the_batch_is_retried) {
  for (const char* body : {"", "{}", "[]", "not json", R"({"stored_through":"9"})", R"({"stored_through":2})"}) {
    BOOST_TEST_CONTEXT("body " << body) {
      const auto d = decide(200, body, seqs);
      BOOST_TEST((d.kind == reply_kind::retry));
      BOOST_TEST(!d.error.empty());
      BOOST_TEST(d.next_limit == 8u);  // unchanged
    }
  }
  BOOST_TEST(decide(200, R"({"stored_through":2})", seqs).error.find("before this batch") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_401_reauthenticates_once_then_is_reported) {
  auto d = decide(401, "", seqs);
  BOOST_TEST((d.kind == reply_kind::reauthenticate));
  d = decide(401, "", seqs, {}, true);
  BOOST_TEST((d.kind == reply_kind::retry));
  BOOST_TEST(d.error.find("HTTP 401, twice") != std::string::npos);
  BOOST_TEST(!d.at_least);
  // A different answer to the second try is decided as usual.
  BOOST_TEST((decide(200, R"({"stored_through":9})", seqs, {}, true).kind == reply_kind::stored));
}

BOOST_AUTO_TEST_CASE(busy_servers_are_retried_no_sooner_than_retry_after) {
  auto d = decide(429, "", seqs, "30");
  BOOST_TEST((d.kind == reply_kind::retry));
  BOOST_TEST(d.at_least.value().count() == 30'000);
  BOOST_TEST(d.error.find("HTTP 429, Retry-After 30 s") != std::string::npos);
  d = decide(503, "", seqs, "Sun, 06 Nov 1994 08:50:37 GMT");
  BOOST_TEST(d.at_least.value().count() == 60'000);
  d = decide(503, "", seqs, "Sun, 06 Nov 1994 18:00:00 GMT");
  BOOST_TEST(d.at_least.value().count() == 3'600'000);  // capped at one hour
  d = decide(503, "", seqs, "Sat, 05 Nov 1994 08:00:00 GMT");
  BOOST_TEST(d.at_least.value().count() == 0);  // in the past: the backoff alone decides
  d = decide(503, "", seqs, "whenever");
  BOOST_TEST((d.kind == reply_kind::retry));
  BOOST_TEST(!d.at_least);
  BOOST_TEST(d.error == "the server is busy (HTTP 503)");
}

BOOST_AUTO_TEST_CASE(server_errors_and_surprises_are_retried_with_backoff) {
  for (unsigned status : {500u, 502u, 504u}) {
    const auto d = decide(status, "oops", seqs, "5");
    BOOST_TEST((d.kind == reply_kind::retry));
    BOOST_TEST(!d.at_least);  // Retry-After only counts with 429 and 503
    BOOST_TEST(d.error == "server error (HTTP " + std::to_string(status) + ")");
  }
  // Anything else is shown with the start of its body, control characters blanked.
  const auto d = decide(404, "no such\x1b[2J path" + std::string(500, 'x'), seqs);
  BOOST_TEST((d.kind == reply_kind::retry));
  BOOST_TEST(d.error.starts_with("the server answered HTTP 404: no such [2J path"));
  BOOST_TEST(d.error.size() <= std::string("the server answered HTTP 404: ").size() + 200);
}

BOOST_AUTO_TEST_CASE(a_422_naming_records_dead_letters_exactly_those) {
  const auto d = decide(
      422, R"({"rejected":[{"seq":5,"reason":"unknown record type"},{"seq":99,"reason":"not ours"},{"seq":9,"reason":7}]})",
      seqs);
  BOOST_TEST((d.kind == reply_kind::dead_letter));
  BOOST_REQUIRE(d.dead.size() == 2u);
  BOOST_TEST(d.dead[0].seq == 5);
  BOOST_TEST(d.dead[0].reason == "HTTP 422: unknown record type");
  BOOST_TEST(d.dead[1].seq == 9);
  BOOST_TEST(d.dead[1].reason == "HTTP 422: rejected");  // a reason that is not a string
  BOOST_TEST(d.next_limit == 8u);
}

BOOST_AUTO_TEST_CASE(a_refusal_naming_no_record_of_the_batch_splits_it_in_halves) {
  for (unsigned status : {400u, 413u, 422u}) {
    for (const char* body : {"", "body is not valid JSON", R"({"rejected":[]})", R"({"rejected":[{"seq":99}]})",
                             R"({"rejected":[{"reason":"no seq"}]})"}) {
      BOOST_TEST_CONTEXT("HTTP " << status << " " << body) {
        const auto d = decide(status, body, seqs);
        BOOST_TEST((d.kind == reply_kind::split));
        BOOST_TEST(d.next_limit == 2u);
        BOOST_TEST(d.dead.empty());
      }
    }
  }
  BOOST_TEST(decide(400, "", {1, 2, 3, 4, 5, 6, 7}).next_limit == 3u);
  BOOST_TEST(decide(400, "", {1, 2}).next_limit == 1u);
}

BOOST_AUTO_TEST_CASE(a_refused_record_standing_alone_is_dead_lettered) {
  const auto d = decide(400, "records[0]: seq\nmissing", {42}, {}, false, 1);
  BOOST_TEST((d.kind == reply_kind::dead_letter));
  BOOST_REQUIRE(d.dead.size() == 1u);
  BOOST_TEST(d.dead[0].seq == 42);
  BOOST_TEST(d.dead[0].reason == "HTTP 400: records[0]: seq missing");
}

// The whole split rule, run against a server that refuses (400, naming
// nobody) any batch holding a record it cannot take: every other record is
// stored, each bad record ends as a dead letter on its own, and it takes a
// bounded number of exchanges.
BOOST_AUTO_TEST_CASE(splitting_isolates_each_record_at_fault) {
  const std::size_t max_records = 16;
  for (const std::set<std::int64_t>& culprits : std::vector<std::set<std::int64_t>>{
           {13}, {1}, {40}, {7, 8}, {2, 17, 33}, {}}) {
    std::int64_t acked = 0;
    std::size_t limit = max_records;
    std::set<std::int64_t> dead, stored;
    int exchanges = 0;
    while (true) {
      std::vector<std::int64_t> batch;  // the next `limit` records after `acked`, dead letters skipped
      for (std::int64_t s = acked + 1; s <= 40 && batch.size() < limit; ++s)
        if (!dead.contains(s)) batch.push_back(s);
      if (batch.empty()) break;
      BOOST_REQUIRE(++exchanges < 100);
      const bool refused = std::ranges::any_of(batch, [&](std::int64_t s) { return culprits.contains(s); });
      const server_reply r = refused ? server_reply{400, "", ""}
                                     : server_reply{200, R"({"stored_through":)" + std::to_string(batch.back()) + "}", ""};
      const auto d = decide_reply(r, sent_batch{batch, limit, max_records}, false, now_ms);
      switch (d.kind) {
        case reply_kind::stored:
          stored.insert(batch.begin(), batch.end());
          acked = d.through;
          break;
        case reply_kind::dead_letter:
          for (const auto& l : d.dead) dead.insert(l.seq);
          break;
        case reply_kind::split: break;
        default: BOOST_FAIL("unexpected decision");
      }
      limit = d.next_limit;
    }
    BOOST_TEST((dead == culprits));
    BOOST_TEST(stored.size() + dead.size() == 40u);
    BOOST_TEST(exchanges <= 12 + 10 * static_cast<int>(culprits.size()));
  }
}

// Issue 18, finding 1: a 409 is never an acknowledgement (the gateway would
// delete its genuine records under retention), never a dead letter, never a
// split: the batch is kept and sent again with backoff, the conflict named.
BOOST_AUTO_TEST_CASE(audit_1_a_409_acknowledges_nothing_and_names_the_conflicting_records) {
  auto d = decide(409, R"({"protocol":1,"error":"x","conflicts":[{"seq":8},{"seq":5},{"seq":77}]})", seqs);
  BOOST_TEST((d.kind == reply_kind::conflict));
  BOOST_TEST(d.conflicts == (std::vector<std::int64_t>{5, 8}));  // 77 is not of this batch
  BOOST_TEST(d.through == 0);
  BOOST_TEST(d.dead.empty());
  BOOST_TEST(d.next_limit == 8u);
  BOOST_TEST(d.error.find("HTTP 409") != std::string::npos, d.error);
  BOOST_TEST(d.error.find("#5 and 1 more") != std::string::npos, d.error);
  // A 409 whose body names nothing usable still holds the batch: its first record is named.
  for (const char* body : {"", "{}", "not json", R"({"conflicts":[{"seq":"8"}]})", R"({"conflicts":[{"seq":4}]})"}) {
    d = decide(409, body, seqs);
    BOOST_TEST((d.kind == reply_kind::conflict), body);
    BOOST_TEST(d.conflicts == (std::vector<std::int64_t>{3}), body);
  }
}
