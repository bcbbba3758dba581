#pragma once
// Helpers for tests of the committer and of what waits for it: running a
// test's io_context until something holds (with a deadline), and a store
// that stalls (the writer thread held in a work item until released).

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <future>

#include "store/committer.hpp"

namespace ravao::test {

// Runs `io` until `pred` holds; false when `deadline` passed first. `io`
// must be kept from running out of work (an executor_work_guard).
bool run_until(boost::asio::io_context& io, const std::function<bool()>& pred,
               std::chrono::milliseconds deadline = std::chrono::seconds(20));

// Returns once the writer thread is inside a work item that waits for the
// returned promise: everything queued after it waits too.
std::promise<void> stall_writer(committer& c);

}  // namespace ravao::test
