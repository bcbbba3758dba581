#include "support/writer_stall.hpp"

#include <memory>

namespace ravao::test {

std::promise<void> stall_writer(committer& c) {
  std::promise<void> release;
  auto entered = std::make_shared<std::promise<void>>();
  auto entered_f = entered->get_future();
  c.run_on_store([f = release.get_future().share(), entered](store_writer&) {
    entered->set_value();
    f.wait();
  });
  entered_f.wait();
  return release;
}

}  // namespace ravao::test
