// libFuzzer target: web/auth/account_file.* reading users.json, whose content
// is untrusted (a hand edit, a disk error). Invariants: nothing crashes; a
// refusal names the file; every account accepted passes check_account; what
// is accepted, written back, reads back to the same accounts and the same
// text.
// Seeds: tests/fuzz/corpus/account_file/ (a valid file with a staff and a
// disabled supervisor account, and a few broken ones).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "web/auth/account_file.hpp"

namespace {

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "account_file_fuzz: invariant violated: %s\n", what);
  std::abort();
}

bool same(const ravao::web::account& a, const ravao::web::account& b) {
  return a.name == b.name && a.role == b.role && a.counters == b.counters && a.disabled == b.disabled &&
         a.hash == b.hash && a.created == b.created && a.changed == b.changed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = ravao::web::parse_account_file(text, "users.json");
  if (!parsed) {
    require(parsed.error().context.starts_with("users.json: "), "a refusal names the file");
    return 0;
  }
  for (const auto& a : *parsed) require(ravao::web::check_account(a).has_value(), "accepted accounts are valid");
  const std::string written = ravao::web::format_account_file(*parsed);
  const auto again = ravao::web::parse_account_file(written, "users.json");
  require(again.has_value(), "what is written reads back");
  require(again->size() == parsed->size(), "same number of accounts");
  for (std::size_t i = 0; i < parsed->size(); ++i) require(same((*parsed)[i], (*again)[i]), "same accounts");
  require(ravao::web::format_account_file(*again) == written, "same text");
  return 0;
}
