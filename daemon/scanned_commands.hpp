#pragma once
// Staff commands scanned at a counter (RAVAO:CMD:..., docs/slips.md): once
// the committer has recorded one as a command record, it is acted on here:
// print a slip or a test page, check out or undo the counter's last visit.
//
// Loop thread only. The store work runs on the committer's thread as
// async_run operations that own their requests; their outcome is logged
// when they complete on the loop.

#include <functional>

#include "config/config.hpp"
#include "print_service.hpp"
#include "store/committer.hpp"

namespace ravao {

class scanned_commands {
 public:
  // on_change: a visit was closed or undone (the status line counts them).
  scanned_commands(const config& cfg, committer& writer, print_service& printing, std::function<void()> on_change)
      : cfg_(cfg), writer_(writer), printing_(printing), on_change_(std::move(on_change)) {}

  // `s` was committed with the effect command_recorded.
  void on_command(const committed_scan& s);

 private:
  const config& cfg_;
  committer& writer_;
  print_service& printing_;
  std::function<void()> on_change_;
};

}  // namespace ravao
