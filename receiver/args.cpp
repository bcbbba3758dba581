#include "receiver/args.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace ravao::receiver {

options::options(std::span<const option_spec> specs, std::span<char*> args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view word = args[i];
    if (word == "--help" || word == "-h") {
      help_ = true;
      continue;
    }
    if (!word.starts_with("--")) throw usage_error(fmt::format("unexpected argument \"{}\"", word));
    word.remove_prefix(2);
    std::optional<std::string> inline_value;
    if (const auto eq = word.find('='); eq != std::string_view::npos) {
      inline_value = std::string(word.substr(eq + 1));
      word = word.substr(0, eq);
    }
    const auto spec = std::ranges::find(specs, word, &option_spec::name);
    if (spec == specs.end()) throw usage_error(fmt::format("unknown option --{}", word));
    std::string value;
    if (spec->takes_value) {
      if (inline_value) value = *inline_value;
      else if (i + 1 < args.size()) value = args[++i];
      else throw usage_error(fmt::format("--{} needs a value", word));
    } else if (inline_value) {
      throw usage_error(fmt::format("--{} takes no value", word));
    }
    auto& slot = values_[std::string(word)];
    if (!slot.empty() && !spec->repeatable) throw usage_error(fmt::format("--{} given twice", word));
    slot.push_back(std::move(value));
  }
}

std::optional<std::string> options::get(std::string_view name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second.front();
}

std::string options::required(std::string_view name) const {
  auto v = get(name);
  if (!v) throw usage_error(fmt::format("--{} is required", name));
  return *v;
}

std::vector<std::string> options::all(std::string_view name) const {
  const auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::int64_t options::integer(std::string_view name, std::int64_t fallback, std::int64_t min,
                              std::int64_t max) const {
  const auto v = get(name);
  if (!v) return fallback;
  return parse_integer(*v, fmt::format("--{}", name), min, max);
}

std::int64_t parse_integer(std::string_view text, std::string_view what, std::int64_t min, std::int64_t max) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
    throw usage_error(fmt::format("{}: \"{}\" is not a whole number", what, text));
  }
  if (v < min || v > max) throw usage_error(fmt::format("{}: {} is out of range ({} to {})", what, v, min, max));
  return v;
}

}  // namespace ravao::receiver
