#pragma once
// A backlog of records written straight into a gateway's store, as a week
// offline would leave it: for the sync tests and bench/sync_bench. Header
// only, so the benchmarks can use it without the test support library.
// The records are opaque scans sealed to the province's key; one sealed blob
// is reused (the drain never opens them, and sealing a million times would
// only slow the setup down).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "store/store.hpp"
#include "common/seal.hpp"

namespace ravao::test {

// `distinct_seals`: each record sealed on its own (as a gateway does; bench/storm_bench,
// whose bodies are gzipped and must not compress better than real ones).
inline void fill_backlog(const std::filesystem::path& store_path, std::int64_t count, const std::string& public_key,
                         std::string_view counter = "desk", bool distinct_seals = false) {
  auto key = seal::parse_public_key(public_key);
  if (!key) throw std::runtime_error(key.error().message());
  store_options options;  // UTC+7
  options.province_key = *key;
  auto st = store_writer::open(store_path, options);
  if (!st) throw std::runtime_error(st.error().message());
  const std::string sealed = seal::seal(*key, R"({"payload":"backlog record"})");
  visits_config never_duplicate;
  never_duplicate.duplicate_window = std::chrono::milliseconds(0);
  constexpr std::int64_t batch = 10'000;
  std::vector<scan_request> scans;
  for (std::int64_t done = 0; done < count;) {
    scans.clear();
    const auto at = now();
    for (std::int64_t i = 0; i < batch && done + i < count; ++i) {
      scan_request r;
      r.counter_id = std::string(counter);
      r.payload.kind = payload_kind::opaque;
      r.payload.text = fmt::format("BACKLOG-{:09}", done + i);
      r.at = at;
      r.sealed = distinct_seals ? seal::seal(*key, fmt::format(R"({{"payload":"backlog record {}"}})", done + i))
                                : sealed;
      scans.push_back(std::move(r));
    }
    auto out = st->apply(scans, {}, never_duplicate);
    if (!out) throw std::runtime_error(out.error().message());
    done += static_cast<std::int64_t>(scans.size());
  }
}

}  // namespace ravao::test
