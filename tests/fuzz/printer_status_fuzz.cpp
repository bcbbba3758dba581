// libFuzzer target for the ESC/POS status parser and the printer status
// machine (drivers/escpos/status.hpp). The input is a script of steps, each
// led by one control byte c:
//   c >> 6 == 0: feed the next (c & 0x3F) input bytes as one chunk;
//   c >> 6 == 1: expect(DLE EOT n), n = 1 + (c & 3);
//   c >> 6 == 2: c & 1 ? the reply timed out (clear_expected and no_reply)
//                      : feed the single byte c & 0x3F | 0x10 (a status-like byte);
//   c >> 6 == 3: feed c itself (a byte with bit 7 set: garbage).
// Every report goes to the status machine.
// Invariants: no crash or sanitizer report; the parser holds at most 3 bytes
// and max_outstanding requests; every byte fed is accounted for exactly once
// (reply, unsolicited, skipped, ASB block or buffered); replies answer the
// requests in the order they were expected; reports have the documented byte
// patterns; the status is always one of the enum values and equals the
// precedence rule over what was observed; a transition always changes the
// state, starts from the previous one and has a reason.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <optional>
#include <span>

#include "drivers/escpos/status.hpp"

namespace {

using namespace ravao::escpos;

void check(bool ok) {
  if (!ok) std::abort();
}

bool valid(printer_status s) {
  switch (s) {
    case printer_status::online:
    case printer_status::paper_near_end:
    case printer_status::paper_out:
    case printer_status::cover_open:
    case printer_status::offline:
    case printer_status::error:
      return true;
  }
  return false;
}

// The precedence rule, written independently of the implementation.
printer_status expected_status(const observation& k) {
  if (k.error == true) return printer_status::error;
  if (k.cover_open == true) return printer_status::cover_open;
  if (k.paper_out == true) return printer_status::paper_out;
  if (k.offline != false) return printer_status::offline;
  if (k.paper_near_end == true) return printer_status::paper_near_end;
  return printer_status::online;
}

struct harness {
  status_parser parser;
  status_machine machine;
  std::deque<status_request> model;  // requests expected, oldest first
  std::uint64_t fed = 0;

  void check_transition(printer_status before, const std::optional<transition>& t) {
    check(valid(machine.status()));
    check(machine.status() == expected_status(machine.known()));
    if (t) {
      check(t->from != t->to);
      check(t->from == before);
      check(t->to == machine.status());
      check(valid(t->from) && valid(t->to));
      check(!t->reason.empty() && !to_string(t->to).empty());
    } else {
      check(machine.status() == before);
    }
  }

  void feed(std::span<const std::uint8_t> bytes) {
    fed += bytes.size();
    parser.feed(bytes, [&](const status_report& r) {
      if (r.answers) {
        check(r.size == 1 && is_dle_eot_reply(r.bytes[0]));
        check(!model.empty() && model.front() == *r.answers);
        model.pop_front();
      } else {
        check(r.size == 4 && is_asb_first(r.bytes[0]));
        for (std::size_t i = 1; i < 4; ++i) check(is_asb_next(r.bytes[i]));
      }
      const printer_status before = machine.status();
      check_transition(before, machine.observe(r.seen));
    });
    check_parser();
  }

  void check_parser() {
    const status_counters& c = parser.counters();
    check(parser.buffered() < 4);
    check(parser.outstanding() <= status_parser::max_outstanding);
    check(parser.outstanding() == model.size());
    check(c.replies + c.unsolicited_replies + c.skipped_bytes + 4 * c.asb_blocks + parser.buffered() == fed);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  harness h;
  std::span<const std::uint8_t> rest(data, size);
  while (!rest.empty()) {
    const std::uint8_t c = rest[0];
    rest = rest.subspan(1);
    switch (c >> 6) {
      case 0: {
        const std::size_t n = std::min<std::size_t>(c & 0x3F, rest.size());
        h.feed(rest.first(n));
        rest = rest.subspan(n);
        break;
      }
      case 1: {
        const auto n = static_cast<status_request>(1 + (c & 3));
        const bool full = h.parser.outstanding() == status_parser::max_outstanding;
        const bool accepted = h.parser.expect(n);
        check(accepted != full);
        if (accepted) h.model.push_back(n);
        h.check_parser();
        break;
      }
      case 2:
        if (c & 1) {
          h.parser.clear_expected();
          h.model.clear();
          const printer_status before = h.machine.status();
          const auto t = h.machine.no_reply();
          h.check_transition(before, t);
          check(h.machine.status() == printer_status::offline);
          check(!t || t->reason == "no status reply");
          h.check_parser();
        } else {
          const std::uint8_t b = (c & 0x3F) | 0x10;
          h.feed(std::span<const std::uint8_t>(&b, 1));
        }
        break;
      default:
        h.feed(std::span<const std::uint8_t>(&c, 1));
        break;
    }
  }
  return 0;
}
