// libFuzzer target: the receiver's request bodies (receiver/batch.*),
// parse_batch() and parse_heartbeat() on arbitrary bytes, as they arrive
// after inflating. They must never crash, hang or throw, and every outcome
// must keep the protocol's promises (docs/sync-protocol.md): a stored batch
// is well formed and its records in strictly increasing seq order, each
// record kept as a JSON object with the same seq; a 400/413 says why; a 422
// names at least one record, with a reason; the text a stored batch's rows
// carry (counter, boot ids) holds no control character (issue 18, finding
// 5). Parsing is deterministic.
// Seeds: tests/fuzz/corpus/receiver_batch/ (batch and heartbeat bodies).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <variant>

#include <boost/json.hpp>

#include "common/text.hpp"
#include "receiver/batch.hpp"

namespace {

namespace rv = ravao::receiver;
namespace json = boost::json;

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "receiver_batch_fuzz: invariant violated: %s\n", what);
  std::abort();
}

bool hex32(std::string_view s) {
  return s.size() == 32 && std::ranges::all_of(s, [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

void check_stamp(const rv::clock_stamp& s) {
  require(!s.boot_id.empty(), "a stamp has a boot_id");
  require(!ravao::text::first_control(s.boot_id), "a boot_id holds no control character");
  require(s.boottime_ns >= 0, "boottime_ns >= 0");
}

void check_bad(const rv::bad_request& b) {
  require(b.status == 400 || b.status == 413, "a bad request is 400 or 413");
  require(!b.message.empty(), "a bad request says why");
}

void check_batch(const rv::batch& b) {
  require(!b.gateway.empty() && b.gateway.size() <= 128, "the gateway is a short id");
  require(hex32(b.stream), "the stream is 32 hex digits");
  check_stamp(b.sent);
  require(!b.records.empty() && b.records.size() <= rv::max_records_per_batch, "1 to 10000 records");
  std::int64_t previous = 0;
  for (const auto& r : b.records) {
    require(r.seq >= 1 && r.seq > previous, "seqs are >= 1 and strictly increasing");
    previous = r.seq;
    require(!r.type.empty() && !r.counter.empty(), "a record has a type and a counter");
    require(!ravao::text::first_control(r.counter), "a counter holds no control character");
    check_stamp(r.at);
    boost::system::error_code ec;
    const auto v = json::parse(r.json, ec);
    require(!ec && v.is_object(), "a stored record is a JSON object");
    const auto* seq = v.as_object().if_contains("seq");
    require(seq && seq->is_number() && seq->to_number<std::int64_t>() == r.seq, "the stored record has its seq");
  }
}

void check_invalid(const rv::invalid_records& inv) {
  require(!inv.gateway.empty(), "a 422 names the gateway");
  require(!inv.rejected.empty(), "a 422 names at least one record");
  for (const auto& r : inv.rejected) require(!r.reason.empty(), "each rejection has a reason");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  const auto outcome = rv::parse_batch(body);
  if (const auto* b = std::get_if<rv::batch>(&outcome)) check_batch(*b);
  if (const auto* bad = std::get_if<rv::bad_request>(&outcome)) check_bad(*bad);
  if (const auto* inv = std::get_if<rv::invalid_records>(&outcome)) check_invalid(*inv);
  const auto again = rv::parse_batch(body);
  require(again.index() == outcome.index(), "parse_batch is deterministic");
  if (const auto* b = std::get_if<rv::batch>(&again))
    require(b->records.size() == std::get<rv::batch>(outcome).records.size(), "parse_batch is deterministic");

  const auto hb = rv::parse_heartbeat(body);
  if (const auto* h = std::get_if<rv::heartbeat>(&hb)) {
    require(!h->gateway.empty() && hex32(h->stream), "a heartbeat names its gateway and stream");
    check_stamp(h->sent);
    boost::system::error_code ec;
    const auto v = json::parse(h->json, ec);
    require(!ec && v.is_object(), "a stored heartbeat is a JSON object");
    // A well-formed batch envelope is a well-formed heartbeat envelope.
  } else {
    check_bad(std::get<rv::bad_request>(hb));
    require(!std::holds_alternative<rv::batch>(outcome) && !std::holds_alternative<rv::invalid_records>(outcome),
            "an envelope good enough for a batch is good enough for a heartbeat");
  }
  return 0;
}
