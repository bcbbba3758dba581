#pragma once
// `kind = "stdin"`: a keyboard-wedge scanner typing into the terminal ravaod
// runs in (demo mode), or a pipe. End of input flushes a last unterminated
// line and leaves the scanner offline ("end of input"); ravaod keeps running.
// A regular file on stdin (ravaod < scans.txt) and a pipe are read too.

#include <boost/asio/posix/stream_descriptor.hpp>

#include <boost/asio/awaitable.hpp>

#include "drivers/scanner_source.hpp"
#include "drivers/frame.hpp"

namespace ravao {

class stdin_scanner final : public scanner_source, public std::enable_shared_from_this<stdin_scanner> {
 public:
  stdin_scanner(scanner_config cfg, boost::asio::any_io_executor ex, scanner_sink sink);
  void start() override;
  void stop() override;

 private:
  boost::asio::awaitable<void> run();
  void reset(std::string_view error);  // after run() threw: closes the descriptor, reports offline

  scanner_config cfg_;
  scanner_sink sink_;
  boost::asio::posix::stream_descriptor in_;  // owns a dup() of fd 0; closed by stop()
  line_framer framer_;
  bool stopped_ = false;
};

}  // namespace ravao
