// libFuzzer target for slip::decode, the reader of stored print-job content
// (slip/job_content.hpp), which treats print_jobs.content as untrusted.
// Input: the first byte picks the job kind ('s' slip, 'c' card, 't' test,
// anything else an unknown kind), the rest is the stored text.
// Invariants: decode never throws or crashes; what it accepts has the kind
// it was asked for, encodes to content it accepts again, and that content
// encodes identically (one stored format).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "slip/job_content.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view kind = data[0] == 's' ? "slip" : data[0] == 'c' ? "card" : data[0] == 't' ? "test" : "poster";
  const std::string_view stored(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto content = ravao::slip::decode(kind, stored);
  if (!content) {
    check(!content.error().context.empty());
    return 0;
  }
  check(ravao::slip::kind_of(*content) == kind);
  const std::string encoded = ravao::slip::encode(*content);
  const auto again = ravao::slip::decode(kind, encoded);
  check(again.has_value());
  check(ravao::slip::encode(*again) == encoded);
  return 0;
}
