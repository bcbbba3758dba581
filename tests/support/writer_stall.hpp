#pragma once
// A store that stalls, for tests of the committer and of what waits for it:
// the writer thread held in a work item until released. (Running a test's
// io_context until something holds: support/io_loop.hpp.)

#include <future>

#include "store/committer.hpp"
#include "support/io_loop.hpp"

namespace ravao::test {

// Returns once the writer thread is inside a work item that waits for the
// returned promise: everything queued after it waits too.
std::promise<void> stall_writer(committer& c);

}  // namespace ravao::test
