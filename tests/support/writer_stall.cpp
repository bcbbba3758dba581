#include "support/writer_stall.hpp"

#include <memory>

namespace ravao::test {

bool run_until(boost::asio::io_context& io, const std::function<bool()>& pred, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    io.run_one_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::promise<void> stall_writer(committer& c) {
  std::promise<void> release;
  auto entered = std::make_shared<std::promise<void>>();
  auto entered_f = entered->get_future();
  c.run_on_store([f = release.get_future().share(), entered](store&) {
    entered->set_value();
    f.wait();
  });
  entered_f.wait();
  return release;
}

}  // namespace ravao::test
