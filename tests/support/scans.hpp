#pragma once
// Scan requests as the store receives them, for tests of the store.

#include <string>
#include <utility>

#include "config/config.hpp"
#include "store/requests.hpp"

namespace ravao::test {

// The visit rules the store tests assume: a 5 s duplicate window, visits
// closed after 4 h.
inline visits_config settings() {
  visits_config v;
  v.duplicate_window = std::chrono::milliseconds(5000);
  v.max_duration = std::chrono::seconds(4 * 3600);
  return v;
}

// A CCCD of `id` (name Trần Thị Bình) scanned at `counter`.
inline scan_request person_scan(std::string counter, counter_mode mode, std::string id, const timestamp& at) {
  scan_request r;
  r.counter_id = std::move(counter);
  r.mode = mode;
  r.payload.kind = payload_kind::cccd;
  r.payload.who = person{};
  r.payload.who->id_number = std::move(id);
  r.payload.who->full_name = "Trần Thị Bình";
  r.at = at;
  return r;
}

// A payload without identity (`kind` ravao_command, unknown, ...) scanned at `counter`.
inline scan_request text_scan(std::string counter, payload_kind kind, std::string text, const timestamp& at) {
  scan_request r;
  r.counter_id = std::move(counter);
  r.payload.kind = kind;
  r.payload.text = std::move(text);
  r.at = at;
  return r;
}

}  // namespace ravao::test
