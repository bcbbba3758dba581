#include "web/assets.hpp"

#include <algorithm>

namespace ravao::web {

const asset* find_asset(std::string_view path) {
  const auto all = embedded_assets();
  const auto it = std::ranges::find(all, path, &asset::path);
  return it == all.end() ? nullptr : &*it;
}

}  // namespace ravao::web
