#include "common/error.hpp"

namespace ravao {

std::string error::message() const {
  if (!code) return context;
  if (context.empty()) return code.message();
  return context + ": " + code.message();
}

namespace {
class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ravao"; }
  std::string message(int v) const override {
    switch (static_cast<errc>(v)) {
      case errc::invalid_argument: return "invalid argument";
      case errc::config_invalid: return "invalid configuration";
      case errc::store_corrupt: return "store is corrupt";
      case errc::store_unavailable: return "store unavailable";
      case errc::not_found: return "not found";
      case errc::protocol: return "protocol error";
    }
    return "unknown error";
  }
};
}  // namespace

const std::error_category& ravao_category() noexcept {
  static const category c;
  return c;
}

}  // namespace ravao
