#pragma once
// A store writer on a real SQLite file in a temporary folder, for the store
// tests: reopen() closes and opens it again (what a restart sees), and
// advance_ms() moves the test's clock, wall and boottime together. Needs
// Boost.Test (a failed open fails the test).

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <optional>
#include <utility>

#include "store/store.hpp"
#include "support/harness.hpp"

namespace ravao::test {

struct store_writer_fixture {
  temp_dir dir;
  timestamp t;
  std::optional<store_writer> s;

  explicit store_writer_fixture(timestamp start = now()) : t(start) { reopen(); }
  void reopen() {
    s.reset();
    auto o = store_writer::open(dir / "ravao.db");
    BOOST_TEST_REQUIRE(o.has_value(), (o ? "" : o.error().message()));
    s.emplace(std::move(*o));
  }
  timestamp advance_ms(std::int64_t ms) {
    t.wall_ms += ms;
    t.boottime_ns += ms * 1'000'000;
    return t;
  }
};

}  // namespace ravao::test
