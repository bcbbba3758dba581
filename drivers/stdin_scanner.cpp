#include "drivers/stdin_scanner.hpp"

#include <unistd.h>

#include <array>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/supervise.hpp"

namespace ravao {
namespace asio = boost::asio;

stdin_scanner::stdin_scanner(scanner_config cfg, asio::any_io_executor ex, scanner_sink sink)
    : cfg_(std::move(cfg)), sink_(std::move(sink)), in_(ex), framer_(cfg_.max_scan_bytes) {}

void stdin_scanner::start() {
  // Supervised (common/supervise.hpp), holding this source until the loop
  // ends after stop(). After an exception, reset() closes the descriptor and
  // a fresh run() reads standard input again from where it is.
  spawn_supervised_loop(in_.get_executor(), "scanner " + cfg_.id, shared_from_this(), &stdin_scanner::run,
                        &stdin_scanner::reset, &stdin_scanner::stopped_);
}

void stdin_scanner::reset(std::string_view error) {
  boost::system::error_code ignored;
  in_.close(ignored);
  framer_ = line_framer(cfg_.max_scan_bytes);
  if (!stopped_ && sink_.on_state)
    sink_.on_state(device_state::offline, "restarting after an internal error: " + std::string(error));
}

void stdin_scanner::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  in_.close(ignored);
}

asio::awaitable<void> stdin_scanner::run() {
  auto self = shared_from_this();
  const auto on_frame = [this](std::string_view line) {
    if (!stopped_ && sink_.on_frame) sink_.on_frame(line);
  };
  const auto on_overflow = [this](std::size_t n, std::string_view head) {
    if (!stopped_ && sink_.on_overflow) sink_.on_overflow(n, head);
  };
  const int fd = ::dup(STDIN_FILENO);
  if (fd < 0) {
    if (sink_.on_state) sink_.on_state(device_state::error, "cannot use standard input");
    co_return;
  }
  // Asio accepts a regular file here too (epoll refuses it, and Asio then
  // performs reads directly, which never block on a file).
  boost::system::error_code ec;
  in_.assign(fd, ec);
  if (ec) {
    ::close(fd);
    if (sink_.on_state) sink_.on_state(device_state::error, "cannot use standard input: " + ec.message());
    co_return;
  }
  if (sink_.on_state) sink_.on_state(device_state::online, "reading standard input");

  std::array<char, 4096> buf{};
  std::string why = "end of input";
  while (!stopped_) {
    if (sink_.gate) co_await sink_.gate->wait_open();
    if (stopped_) break;
    const std::size_t n =
        co_await in_.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (n > 0) framer_.feed(std::span<const char>(buf.data(), n), on_frame, on_overflow);
    if (ec) {
      if (ec != asio::error::eof) why = "standard input failed: " + ec.message();
      break;
    }
  }
  if (stopped_) co_return;
  framer_.flush(on_frame, on_overflow);
  if (sink_.on_state) sink_.on_state(device_state::offline, why);
}

}  // namespace ravao
