#pragma once
// Comparing secrets (session ids, CSRF tokens) without leaking them by
// timing, and the CSRF check of a state-changing request: every POST but
// /api/login carries `X-CSRF-Token`, which must equal its session's token
// (docs/console.md; the contract's section B).

#include <string_view>

namespace ravao::web {

struct session;

// Constant time for equal sizes (sodium_memcmp). Different sizes are unequal
// and leak only the size, which is public (64 hex characters).
bool secret_equal(std::string_view a, std::string_view b);

// The request's X-CSRF-Token value matches the session's token. An empty or
// absent header never matches.
bool csrf_token_valid(const session& s, std::string_view header_value);

}  // namespace ravao::web
