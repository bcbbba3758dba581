#include "control/store_call.hpp"

#include <fmt/format.h>

namespace ravao::control {

std::string store_timeout_message(std::chrono::steady_clock::duration deadline) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(deadline).count();
  const std::string within = ms % 1000 == 0 ? fmt::format("{} s", ms / 1000) : fmt::format("{} ms", ms);
  return fmt::format("the store did not answer within {}; nothing was done (see ravaoctl status)", within);
}

}  // namespace ravao::control
