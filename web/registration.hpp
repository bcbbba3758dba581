#pragma once
// Tells ravaod where the console is and which certificate it shows (control
// command `web.register`, docs/control.md): at start and every 60 s, so
// `ravaoctl status` and the command card print the URL and the SHA-256
// fingerprint staff check in their browser. ravaod forgets it 180 s after
// the last one, so a stopped console disappears from the status.
//
// A ravaod that is down is tried again at the next period; one that does not
// know the command (older than the console) is logged once at debug level.
// Thread: the loop runs on the executor given; stop() (same thread) ends it.

#include <chrono>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "web/config.hpp"
#include "web/control_client.hpp"

namespace ravao::web {

class registration {
 public:
  // `control` must outlive the registration.
  registration(boost::asio::any_io_executor ex, control_client& control, std::string url, std::string fingerprint,
               std::chrono::seconds period = std::chrono::seconds(60));
  void start();  // supervised: restarted if it ever throws
  void stop();

 private:
  boost::asio::awaitable<void> run();

  control_client& control_;
  std::string url_;
  std::string fingerprint_;
  std::chrono::seconds period_;
  boost::asio::steady_timer timer_;
  bool stopped_ = false;
  bool unsupported_logged_ = false;
};

// The URL staff type: `public_url` when set, else https:// with the first
// address a listener on `listen` answers on (the host name when none), and
// the port unless it is 443.
std::string console_url(const web_config& c, unsigned short bound_port);

}  // namespace ravao::web
