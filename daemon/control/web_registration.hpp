#pragma once
// `web.register` (docs/control.md): where the counter console (ravao-web)
// is, as it tells ravaod at its start and every 60 s: the URL staff open and
// the SHA-256 fingerprint of its certificate, which `ravaoctl status` shows
// and the command card prints, so that staff can check what their browser
// is shown. In memory only, forgotten `forget_after` (180 s) after the last
// register: a console that stopped is not advertised for long.
//
// Loop thread only; plain data, no timer (the age is checked when read).

#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "common/error.hpp"

namespace ravao::control {

struct web_console {
  std::string url;          // "https://192.168.1.10:8443/"
  std::string fingerprint;  // "AB:CD:..." (32 bytes, upper-case hex with colons)
};

class web_registration {
 public:
  using clock = std::chrono::steady_clock;

  explicit web_registration(clock::duration forget_after = std::chrono::seconds(180)) : forget_after_(forget_after) {}

  // Checks the request's "url" (http:// or https://, printable ASCII, at
  // most 200 bytes) and "fingerprint" (32 bytes as hex pairs with colons,
  // either case; kept upper-case) and keeps them; true when they differ
  // from what was kept (for the log). errc::invalid_argument in words.
  result<bool> register_console(const boost::json::object& request, clock::time_point at = clock::now());
  // What was registered in the last forget_after, or nothing.
  std::optional<web_console> current(clock::time_point at = clock::now()) const;

 private:
  clock::duration forget_after_;
  std::optional<web_console> console_;
  clock::time_point registered_{};
};

}  // namespace ravao::control
