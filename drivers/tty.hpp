#pragma once
// Opening a serial tty for raw binary I/O, shared by the serial scanner and
// the serial printer: O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, exclusive
// (TIOCEXCL: a getty or ModemManager must not read our bytes or write its
// own), raw mode (no echo, no line editing, no CR/LF translation, no
// signals), 8 data bits, no parity, one stop bit, no flow control, `baud`:
// the settings asio::serial_port::open() and its 8N1 options give.

#include <string>

#include "common/error.hpp"

namespace ravao {

// The open descriptor, owned by the caller (for asio::serial_port::assign or
// posix::stream_descriptor::assign). On failure the code is the errno of the
// step that failed (ENOENT: no such device yet) and the context a sentence
// for people: "cannot open /dev/ttyACM0: Permission denied", "/dev/null is
// not a terminal device (expected a serial port such as /dev/ttyACM0)",
// "cannot configure /dev/ttyUSB0: ...".
result<int> open_raw_tty(const std::string& device, unsigned baud);

}  // namespace ravao
