#include "drivers/tty.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

namespace ravao {

namespace {

bool speed_for(unsigned baud, speed_t& out) {
  switch (baud) {
    case 1200: out = B1200; return true;
    case 2400: out = B2400; return true;
    case 4800: out = B4800; return true;
    case 9600: out = B9600; return true;
    case 19200: out = B19200; return true;
    case 38400: out = B38400; return true;
    case 57600: out = B57600; return true;
    case 115200: out = B115200; return true;
    case 230400: out = B230400; return true;
    case 460800: out = B460800; return true;
    case 921600: out = B921600; return true;
    default: return false;
  }
}

std::string not_a_tty(const std::string& device) {
  return device + " is not a terminal device (expected a serial port such as /dev/ttyACM0)";
}

}  // namespace

result<int> open_raw_tty(const std::string& device, unsigned baud) {
  const int fd = ::open(device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return fail_errno(err, err == ENOTTY ? not_a_tty(device)
                                         : "cannot open " + device + ": " +
                                               std::error_code(err, std::system_category()).message());
  }
  const auto give_up = [&](int err, std::string why) {
    ::close(fd);
    return fail_errno(err, std::move(why));
  };
  if (!::isatty(fd)) return give_up(ENOTTY, not_a_tty(device));
  // Exclusive: a getty or ModemManager must not read our bytes.
  ::ioctl(fd, TIOCEXCL);

  speed_t speed{};
  if (!speed_for(baud, speed))
    return give_up(EINVAL, "cannot configure " + device + ": unsupported baud rate " + std::to_string(baud));
  termios ios{};
  if (::tcgetattr(fd, &ios) != 0) {
    const int err = errno;
    return give_up(err, "cannot configure " + device + ": " + std::error_code(err, std::system_category()).message());
  }
  ::cfmakeraw(&ios);
  ios.c_iflag |= IGNPAR;
  ios.c_iflag &= ~static_cast<tcflag_t>(INPCK | ISTRIP | IXON | IXOFF);
  ios.c_cflag |= CREAD | CLOCAL | CS8;
  ios.c_cflag &= ~static_cast<tcflag_t>(PARENB | PARODD | CSTOPB | CRTSCTS);
  ::cfsetispeed(&ios, speed);
  ::cfsetospeed(&ios, speed);
  if (::tcsetattr(fd, TCSANOW, &ios) != 0) {
    const int err = errno;
    return give_up(err, "cannot configure " + device + ": " + std::error_code(err, std::system_category()).message());
  }
  return fd;
}

}  // namespace ravao
