#include "web/auth/csrf.hpp"

#include <sodium.h>

#include "web/auth/session_table.hpp"

namespace ravao::web {

bool secret_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool csrf_token_valid(const session& s, std::string_view header_value) {
  return !header_value.empty() && !s.csrf.empty() && secret_equal(s.csrf, header_value);
}

}  // namespace ravao::web
