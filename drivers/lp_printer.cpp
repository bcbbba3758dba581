#include "drivers/lp_printer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace ravao {

lp_printer::lp_printer(printer_config cfg, boost::asio::any_io_executor ex, printer_sink sink,
                       device_printer_options opt)
    : device_printer(std::move(cfg), std::move(ex), std::move(sink), opt) {}

result<device_printer::opened> lp_printer::open_device() {
  const std::string& dev = cfg().device;
  constexpr int flags = O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
  bool read_write = true;
  int fd = ::open(dev.c_str(), O_RDWR | flags);
  if (fd < 0 && (errno == EACCES || errno == EPERM || errno == EROFS)) {
    read_write = false;
    fd = ::open(dev.c_str(), O_WRONLY | flags);
  }
  if (fd < 0) {
    const int err = errno;
    return fail_errno(err, "cannot open " + dev + ": " + std::error_code(err, std::system_category()).message());
  }
  bool bidirectional = read_write;
  if (read_write) {
    char none = 0;
    if (::read(fd, &none, 0) < 0 && errno == EINVAL) bidirectional = false;
  }
  std::string description = "opened " + dev;
  if (!read_write) description += " write-only (no status)";
  else if (!bidirectional) description += " (printer not bidirectional: no status)";
  return opened{.fd = fd, .readable = bidirectional, .description = std::move(description)};
}

device_printer::failure lp_printer::classify(int err, bool writing) const {
  const std::string text = std::error_code(err, std::system_category()).message();
  switch (err) {
    case ENOSPC:
      return {std::errc::timed_out, false, "the printer reports paper out (" + text + ")"};
    case EIO:
      return {std::errc::io_error, true,
              text + ": paper out or cover open on some usblp kernels, or a failed USB transfer; reopening"};
    case EINVAL:
      if (!writing) return {std::errc::not_supported, false, "the printer is not bidirectional: no status"};
      break;
    default: break;
  }
  return device_printer::classify(err, writing);
}

}  // namespace ravao
