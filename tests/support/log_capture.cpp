#include "support/log_capture.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "common/log.hpp"

namespace ravao::test {

log_capture::log_capture() {
  char name[] = "/tmp/ravao-log-XXXXXX";
  file_ = ::mkstemp(name);
  if (file_ < 0) throw std::runtime_error("log_capture: mkstemp failed");
  ::unlink(name);
  std::fflush(stderr);
  saved_stderr_ = ::dup(STDERR_FILENO);
  ::dup2(file_, STDERR_FILENO);
  log::init(log::sink::stderr_text, log::level::debug);
}

log_capture::~log_capture() {
  std::fflush(stderr);
  ::dup2(saved_stderr_, STDERR_FILENO);
  ::close(saved_stderr_);
  ::close(file_);
  log::init(log::sink::stderr_text, log::level::info);
}

std::string log_capture::text() const {
  std::fflush(stderr);
  std::string out;
  char buf[4096];
  off_t at = 0;
  for (;;) {
    const ssize_t n = ::pread(file_, buf, sizeof buf, at);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    at += n;
  }
  return out;
}

}  // namespace ravao::test
