#pragma once
// Command-line options of one ravao-receiver subcommand: "--name value",
// "--name=value" and bare "--name" flags, each declared once. Anything not
// declared is a usage error (exit code 2), never silently ignored.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ravao::receiver {

// A mistake on the command line: main() prints it with the subcommand's
// "see --help" hint and exits with 2.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct option_spec {
  std::string_view name;  // without the leading "--"
  bool takes_value = true;
  bool repeatable = false;
};

class options {
 public:
  // Parses `args` (the words after the subcommand) against `specs`; "--help"
  // and "-h" are always accepted. Throws usage_error.
  options(std::span<const option_spec> specs, std::span<char*> args);

  bool help() const { return help_; }
  bool flag(std::string_view name) const { return values_.contains(std::string(name)); }
  std::optional<std::string> get(std::string_view name) const;
  std::string required(std::string_view name) const;  // throws usage_error when absent
  std::vector<std::string> all(std::string_view name) const;
  // An integer option within [min, max]; `fallback` when absent.
  std::int64_t integer(std::string_view name, std::int64_t fallback, std::int64_t min, std::int64_t max) const;

 private:
  bool help_ = false;
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
};

// Parses a whole decimal integer in [min, max]; `what` names it in the error.
std::int64_t parse_integer(std::string_view text, std::string_view what, std::int64_t min, std::int64_t max);

}  // namespace ravao::receiver
