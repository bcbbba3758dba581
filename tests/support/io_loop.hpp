#pragma once
// Driving an io_context from a test's thread.

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>

namespace ravao::test {

// Runs `io` one handler at a time (restarting it when it ran out of work)
// until pred() holds. False when `limit` passed first: a hang guard, so a
// test fails fast instead of stalling CI, never an assertion about speed.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& pred,
               std::chrono::milliseconds limit = std::chrono::seconds(20));

}  // namespace ravao::test
