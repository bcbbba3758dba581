#include "control/web_registration.hpp"

#include <boost/json.hpp>

namespace ravao::control {

namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::optional<std::string> text_of(const boost::json::object& r, std::string_view key) {
  const auto* v = r.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

}  // namespace

result<bool> web_registration::register_console(const boost::json::object& request, clock::time_point at) {
  auto url = text_of(request, "url");
  auto fingerprint = text_of(request, "fingerprint");
  if (!url || !fingerprint) return fail(errc::invalid_argument, "web.register needs \"url\" and \"fingerprint\" (strings)");
  const bool scheme = url->starts_with("https://") || url->starts_with("http://");
  const bool printable = std::all_of(url->begin(), url->end(), [](char c) { return c > ' ' && c < 0x7f; });
  if (!scheme || !printable || url->size() > 200)
    return fail(errc::invalid_argument,
                "\"url\" must be an http:// or https:// address of at most 200 printable ASCII characters");
  // 32 bytes: "AB:" x 31 + "AB".
  bool shaped = fingerprint->size() == 32 * 3 - 1;
  for (std::size_t i = 0; shaped && i < fingerprint->size(); ++i) {
    const char c = (*fingerprint)[i];
    shaped = i % 3 == 2 ? c == ':' : is_hex(c);
    if (c >= 'a' && c <= 'f') (*fingerprint)[i] = static_cast<char>(c - 'a' + 'A');
  }
  if (!shaped)
    return fail(errc::invalid_argument,
                "\"fingerprint\" must be a SHA-256 fingerprint: 32 bytes in hex separated by colons (AB:CD:...)");
  const bool changed = !console_ || console_->url != *url || console_->fingerprint != *fingerprint || !current(at);
  console_ = web_console{std::move(*url), std::move(*fingerprint)};
  registered_ = at;
  return changed;
}

std::optional<web_console> web_registration::current(clock::time_point at) const {
  if (!console_ || at - registered_ >= forget_after_) return std::nullopt;
  return console_;
}

}  // namespace ravao::control
