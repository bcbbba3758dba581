#pragma once
// Captures what ravao::log writes (stderr text, every level) for the life of
// the object: stderr is redirected to a temporary file and restored at
// destruction. Tests read the events the way an operator would.

#include <string>

namespace ravao::test {

class log_capture {
 public:
  log_capture();
  ~log_capture();
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;

  // Everything logged since construction.
  std::string text() const;

 private:
  int saved_stderr_ = -1;
  int file_ = -1;
};

}  // namespace ravao::test
