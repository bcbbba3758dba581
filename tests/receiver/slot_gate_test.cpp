// The receiver's connection gates (receiver/slot_gate.hpp; docs/receiver.md
// "Connections in a reconnect storm"): slots handed over in arrival order,
// `first` waiters (connections that already waited past the queue timeout
// for a session) ahead of the others and in their own arrival order, a
// deadline that passes gives nothing, and close() wakes every waiter
// empty-handed. Real coroutines on one io_context; no timing beyond
// deadlines already past or far away.

#include <boost/test/unit_test.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <string>
#include <vector>

#include "receiver/slot_gate.hpp"

namespace asio = boost::asio;
using ravao::receiver::slot_gate;
using clock_type = std::chrono::steady_clock;

namespace {

const auto far = clock_type::now() + std::chrono::hours(1);

// Waits for a slot, notes its name when granted (or "-name" when not), and
// keeps the slot until `release` is true and the context runs again.
asio::awaitable<void> wait_for(slot_gate& gate, std::string name, bool first, clock_type::time_point deadline,
                               std::vector<std::string>& order) {
  auto p = co_await gate.acquire(deadline, first);
  order.push_back(p ? name : "-" + name);
}

// The gate's one slot, taken; `io` ready to run again.
std::optional<slot_gate::permit> take_the_slot(asio::io_context& io, slot_gate& gate) {
  std::optional<slot_gate::permit> held;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { held = co_await gate.acquire(far); }, asio::detached);
  io.run();
  io.restart();
  return held;
}

}  // namespace

BOOST_AUTO_TEST_CASE(waiters_get_slots_in_arrival_order_with_first_ones_ahead) {
  asio::io_context io;
  slot_gate gate(io.get_executor(), 1);
  std::vector<std::string> order;
  auto held = take_the_slot(io, gate);
  BOOST_TEST_REQUIRE(held.has_value());
  BOOST_TEST(gate.free() == 0u);
  for (const auto& [name, first] : std::vector<std::pair<std::string, bool>>{
           {"a", false}, {"b", true}, {"c", false}, {"d", true}}) {
    asio::co_spawn(io, wait_for(gate, name, first, far, order), asio::detached);
  }
  io.poll();
  BOOST_TEST(gate.waiting() == 4u);
  // Each waiter takes the slot in turn and gives it back at once (its
  // permit ends with its coroutine), so the one held here starts the chain.
  held.reset();
  io.run();
  BOOST_TEST((order == std::vector<std::string>{"b", "d", "a", "c"}));
  BOOST_TEST(gate.free() == 1u);
  BOOST_TEST(gate.waiting() == 0u);
}

BOOST_AUTO_TEST_CASE(a_passed_deadline_gives_nothing_and_close_wakes_every_waiter) {
  asio::io_context io;
  slot_gate gate(io.get_executor(), 1);
  std::vector<std::string> order;
  auto held = take_the_slot(io, gate);
  asio::co_spawn(io, wait_for(gate, "late", true, clock_type::now() - std::chrono::seconds(1), order), asio::detached);
  io.run();
  io.restart();
  BOOST_TEST((order == std::vector<std::string>{"-late"}));
  BOOST_TEST(gate.waiting() == 0u);
  asio::co_spawn(io, wait_for(gate, "x", false, far, order), asio::detached);
  asio::co_spawn(io, wait_for(gate, "y", true, far, order), asio::detached);
  io.poll();
  BOOST_TEST(gate.waiting() == 2u);
  gate.close();
  io.run();
  BOOST_TEST((order == std::vector<std::string>{"-late", "-y", "-x"}));
  // A slot given back after close() returns to the gate; acquiring now fails at once.
  held.reset();
  BOOST_TEST(gate.free() == 1u);
}
