#pragma once
// One way to report failure across module boundaries: std::expected<T, error>.
// An error carries a std::error_code (what kind of failure, for code to test)
// and a context string for people: what happened, where, and what to do.
// Exceptions are used only inside coroutines and caught once per task.

#include <expected>
#include <string>
#include <system_error>
#include <utility>

namespace ravao {

struct error {
  std::error_code code;
  std::string context;

  // "context: <code message>", or just the context when the code is empty.
  std::string message() const;
};

template <class T>
using result = std::expected<T, error>;

inline std::unexpected<error> fail(std::error_code code, std::string context) {
  return std::unexpected(error{code, std::move(context)});
}

inline std::unexpected<error> fail_errno(int err, std::string context) {
  return std::unexpected(error{std::error_code(err, std::system_category()), std::move(context)});
}

// ravao's own failure kinds (category "ravao").
enum class errc {
  invalid_argument = 1,
  config_invalid,
  store_corrupt,
  store_unavailable,  // disk full, I/O error: retried, never dropped silently
  not_found,
  protocol,
};

const std::error_category& ravao_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), ravao_category()};
}

}  // namespace ravao

template <>
struct std::is_error_code_enum<ravao::errc> : std::true_type {};
