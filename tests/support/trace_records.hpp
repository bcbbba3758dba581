#pragma once
// Visit records made the way a gateway makes them (docs/sync-protocol.md, "A
// record"): the person sealed in format 2 under the gateway's window key, clocks
// synchronised or not, stored through the receiver's own database code
// (receiver/database.hpp, what `serve` runs after a batch is validated).
// Used by tests/receiver/trace_test and bench/trace_bench (docs/tracing.md).
//
// Times: each gateway's boots started at the epoch (boottime_ns = the true
// time in ns), so a boot's anchor derives exactly the true time; an
// unsynchronised record carries a wall clock of 1970.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/seal_window.hpp"
#include "receiver/store.hpp"

namespace ravao::test {

struct trace_person {
  std::string id_number, name, phone;
};

// A clock: synchronised, or not (the boot's time then comes from an
// anchor, if the boot gets one).
struct trace_clock {
  bool synced = true;
  std::string boot = "boot-1";
};

class trace_records {
 public:
  using person = trace_person;
  using clock = trace_clock;

  trace_records(receiver::store& db, const seal::public_key& pub) : db_(db), pub_(pub) {}

  void opened(const std::string& gateway, const std::string& counter, std::int64_t visit, const person& p,
              std::int64_t at_ms, const clock& c = {}) {
    auto r = base(gateway, "visit_opened", counter, at_ms, c);
    r["visit"] = visit;
    r["sealed"] = sealed(gateway, p);
    add(gateway, r, c);
  }

  // reason "exit_without_entry" seals the person, as the exit scan does.
  void closed(const std::string& gateway, const std::string& counter, std::int64_t visit, std::int64_t at_ms,
              const std::string& reason = "scan", const person* p = nullptr, const clock& c = {}) {
    auto r = base(gateway, "visit_closed", counter, at_ms, c);
    r["visit"] = visit;
    r["close_reason"] = reason;
    if (p) r["sealed"] = sealed(gateway, *p);
    add(gateway, r, c);
  }

  void slip_issued(const std::string& gateway, const std::string& counter, std::int64_t visit, std::int64_t slip,
                   std::int64_t at_ms) {
    auto r = base(gateway, "slip_issued", counter, at_ms, {});
    r["visit"] = visit;
    r["ref"] = slip;
    add(gateway, r, {});
  }

  // Stores each gateway's pending records as one batch, received at
  // `received_ms`; its `sent` stamp is synchronised (anchoring the boot of
  // its last record) unless `anchor` is false.
  result<void> flush(std::int64_t received_ms, bool anchor = true) {
    for (auto& [gateway, g] : gateways_) {
      if (g.pending.empty()) continue;
      receiver::batch b{gateway, g.stream, {received_ms, g.last_boot, received_ms * 1'000'000, anchor},
                        std::move(g.pending)};
      g.pending.clear();
      auto stored = db_.store_batch(b, received_ms);
      if (!stored) return std::unexpected(stored.error());
    }
    return {};
  }

  std::int64_t records() const { return records_; }

 private:
  struct gateway_state {
    std::string stream;
    std::int64_t seq = 0;
    std::string last_boot = "boot-1";
    std::vector<receiver::record_row> pending;
    std::unique_ptr<seal::window_sealer> sealer;  // each gateway seals under its own windows
  };

  boost::json::object base(const std::string& gateway, std::string_view type, const std::string& counter,
                           std::int64_t at_ms, const clock& c) {
    auto& g = state(gateway);
    return {{"seq", ++g.seq},
            {"type", type},
            {"counter", counter},
            {"wall_ms", c.synced ? at_ms : at_ms % 86'400'000},
            {"boot_id", c.boot},
            {"boottime_ns", at_ms * 1'000'000},
            {"clock_synced", c.synced}};
  }

  std::string sealed(const std::string& gateway, const person& p) {
    return seal::base64(state(gateway).sealer->seal(boost::json::serialize(
        boost::json::object{{"id_number", p.id_number}, {"name", p.name}, {"phone", p.phone}})));
  }

  void add(const std::string& gateway, const boost::json::object& r, const clock& c) {
    auto& g = state(gateway);
    g.last_boot = c.boot;
    g.pending.push_back({r.at("seq").as_int64(),
                         std::string(r.at("type").as_string()),
                         std::string(r.at("counter").as_string()),
                         {r.at("wall_ms").as_int64(), c.boot, r.at("boottime_ns").as_int64(), c.synced},
                         {},
                         boost::json::serialize(r)});
    ++records_;
  }

  gateway_state& state(const std::string& gateway) {
    auto [it, fresh] = gateways_.try_emplace(gateway);
    if (fresh) {
      it->second.stream = fmt::format("{:032x}", std::hash<std::string>{}(gateway));
      it->second.sealer = std::make_unique<seal::window_sealer>(pub_);
    }
    return it->second;
  }

  receiver::store& db_;
  seal::public_key pub_;
  std::map<std::string, gateway_state> gateways_;
  std::int64_t records_ = 0;
};

}  // namespace ravao::test
