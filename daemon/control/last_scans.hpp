#pragma once
// `last_scan` (docs/control.md, docs/privacy.md): the clear fields of each
// counter's newest CCCD or personal-QR scan, so that the counter console can
// pre-fill the declaration the staff make on the visitor's behalf. The one
// place ravaod keeps a person's clear data after a scan is committed, so it
// is kept short and small: in memory only, one scan per counter (the newest
// replaces the older), for at most `keep` (120 s) after the scan; never
// written to disk or logged. Each entry is overwritten before it is freed:
// when a timer says it is `keep` old, when a newer scan replaces it, on
// forget() (a reload that removes the counter), on clear() (shutdown) and at
// destruction. The field names are those of the declaration
// (`ravaoctl declare`): name, birth, sex, id, address, nationality; a field
// the card does not carry is absent.
//
// Loop thread only. Owned by app; the timer is its own and is cancelled by
// clear() and the destructor.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "payload/classify.hpp"

namespace ravao::control {

class last_scans {
 public:
  using clock = std::chrono::steady_clock;

  explicit last_scans(boost::asio::any_io_executor ex, clock::duration keep = std::chrono::seconds(120));
  last_scans(const last_scans&) = delete;
  last_scans& operator=(const last_scans&) = delete;
  ~last_scans();

  // A committed scan at `counter`: kept when `p` is a CCCD or personal QR
  // with a person (anything else leaves the counter's entry as it is).
  // `time`: the scan's site-local time as the control API writes it.
  void remember(const std::string& counter, const classified_payload& p, std::string time, std::int64_t visit);
  // {"counter","kind","time","visit","fields":{...}}, or null when the
  // counter has no such scan in the last `keep`.
  boost::json::value find(const std::string& counter) const;
  void forget(const std::string& counter);
  void clear();
  std::size_t size() const { return entries_.size(); }

 private:
  struct entry {
    std::string kind;
    std::string time;
    std::int64_t visit = 0;
    std::vector<std::pair<std::string, std::string>> fields;  // declaration name -> clear value
    clock::time_point expires;
  };
  static void wipe(entry& e);
  void erase(std::map<std::string, entry>::iterator it);
  void arm();  // the timer, at the soonest expiry
  void expire();

  clock::duration keep_;
  std::map<std::string, entry> entries_;
  boost::asio::steady_timer timer_;
};

}  // namespace ravao::control
