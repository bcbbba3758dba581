#pragma once
// ESC/POS printer status: the DLE EOT real-time status requests, a streaming
// parser for what the printer sends back (DLE EOT replies and Automatic Status
// Back blocks, on the same byte stream), and a small per-printer state machine
// that turns the parsed observations into one status and reports changes.
// docs/printer-status.md describes how the daemon uses them.
//
// Pure and single-threaded: no I/O, no clock. The caller owns the transport,
// sends the requests, runs the reply timeout and logs the transitions.
//
// Bits relied on (Epson ESC/POS Application Programming Guide / command
// reference, "DLE EOT" and "GS a"; TM-T88/TM-T20/TM-U220 pages agree, as do
// the clones' manuals). Bit 0 is the least significant.
//
// DLE EOT n (10 04 n) reply, one byte of the form 0xx1xx10 ((b & 0x93) == 0x12):
//   n = 1 printer status:  bit 3 offline; bit 5 waiting for online recovery;
//                          bit 6 paper feed button pressed; bit 2 drawer pin 3.
//   n = 2 offline cause:   bit 2 cover open; bit 3 paper fed by the feed
//                          button; bit 5 printing stopped by paper end (also
//                          set at paper near end when ESC c 4 stops there, so
//                          it is not read as "paper out"); bit 6 error.
//   n = 3 error cause:     bit 2 mechanical (recoverable) error; bit 3
//                          autocutter error; bit 5 unrecoverable error; bit 6
//                          automatically recoverable error (e.g. head heat).
//   n = 4 paper sensor:    bits 2-3 roll paper near end; bits 5-6 paper end
//                          (both bits of a pair are set together; either one
//                          is taken to mean the condition).
// The reply does not say which request it answers: replies come back in the
// order of the requests, so the parser is told each request it sends
// (status_parser::expect).
//
// GS a n, Automatic Status Back: the printer sends 4 bytes whenever its status
// changes. Byte 1 has the form 0xx1xx00 ((b & 0x93) == 0x10), bytes 2-4 the
// form 0xx0xxxx ((b & 0x90) == 0x00):
//   byte 1: bit 3 offline; bit 5 cover open; bit 6 paper feed button pressed;
//           bit 2 drawer pin 3.
//   byte 2: bit 2 mechanical error; bit 3 autocutter error; bit 5
//           unrecoverable error; bit 6 automatically recoverable error;
//           bit 0 waiting for online recovery.
//   byte 3: bits 0-1 roll paper near end; bits 2-3 roll paper end.
//   byte 4: reserved.
// Bit 4 tells the three kinds of byte apart: it is set in a DLE EOT reply and
// in ASB byte 1 (which differ in bit 1), and clear in ASB bytes 2-4. So a
// DLE EOT reply that arrives between two bytes of an ASB block is still
// recognised, and the block is not broken by it.
//
// Limits: a text echo can look like a reply ('2' is 0x32 = 0011 0010); a reply
// that arrives after its request was given up (clear_expected) is taken as the
// answer to the next request. Both are why the state machine only acts on
// what the printer keeps saying, and why a job is "done" only on a fresh status.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ravao::escpos {

// The real-time status requests, by their n.
enum class status_request : std::uint8_t {
  printer = 1,
  offline_cause = 2,
  error_cause = 3,
  paper_sensor = 4,
};

// DLE EOT n: the three bytes to send for a request.
std::array<std::uint8_t, 3> dle_eot(status_request n);

// What one status report says. An empty field means "this report does not
// tell": a paper sensor reply says nothing about the cover.
struct observation {
  std::optional<bool> offline;
  std::optional<bool> cover_open;
  std::optional<bool> paper_near_end;
  std::optional<bool> paper_out;
  std::optional<bool> error;
};

// The byte patterns above.
constexpr bool is_dle_eot_reply(std::uint8_t b) { return (b & 0x93) == 0x12; }
constexpr bool is_asb_first(std::uint8_t b) { return (b & 0x93) == 0x10; }
constexpr bool is_asb_next(std::uint8_t b) { return (b & 0x90) == 0x00; }

// What a reply byte to request `n`, or an ASB block, means.
observation decode_reply(status_request n, std::uint8_t reply);
observation decode_asb(std::span<const std::uint8_t, 4> block);

// One recognised status report.
struct status_report {
  // The request a DLE EOT reply answers; empty for an ASB block.
  std::optional<status_request> answers;
  // The reply byte, or the four ASB bytes.
  std::array<std::uint8_t, 4> bytes{};
  std::size_t size = 0;
  observation seen;
};

struct status_counters {
  std::uint64_t replies = 0;              // DLE EOT replies matched to a request
  std::uint64_t asb_blocks = 0;           // complete ASB blocks
  std::uint64_t unsolicited_replies = 0;  // reply bytes with no request outstanding
  std::uint64_t skipped_bytes = 0;        // garbage, and bytes of broken ASB blocks
};

// Streaming parser for the bytes a printer sends back. Feed it whatever the
// transport read, in any split; it never holds more than 3 bytes of a partial
// ASB block and max_outstanding requests, whatever it is fed.
class status_parser {
 public:
  // Epson: at most 8 real-time requests may be in flight at once.
  static constexpr std::size_t max_outstanding = 8;
  using sink = std::function<void(const status_report&)>;

  // Call when request `n` is sent. False (and nothing recorded) when
  // max_outstanding requests are already waiting: do not send it then.
  [[nodiscard]] bool expect(status_request n);
  // Forget the outstanding requests, after their reply timed out.
  void clear_expected() { outstanding_ = 0; }

  // Parses `bytes`, calling `on_report` synchronously for each report.
  void feed(std::span<const std::uint8_t> bytes, const sink& on_report);

  std::size_t outstanding() const { return outstanding_; }
  std::size_t buffered() const { return block_size_; }
  const status_counters& counters() const { return counters_; }

 private:
  void abandon_block();

  std::array<status_request, max_outstanding> requests_{};  // ring buffer
  std::size_t first_request_ = 0;
  std::size_t outstanding_ = 0;
  std::array<std::uint8_t, 4> block_{};  // the ASB block being read
  std::size_t block_size_ = 0;
  status_counters counters_;
};

// The status of one printer, as operators see it.
enum class printer_status : std::uint8_t {
  online,
  paper_near_end,
  paper_out,
  cover_open,
  offline,
  error,
};

std::string_view to_string(printer_status s);

struct transition {
  printer_status from;
  printer_status to;
  std::string reason;  // what changed, for the log: "cover open", "paper loaded", ...
};

// Keeps the last known value of each condition and derives one status with a
// fixed precedence: error > cover_open > paper_out > offline > paper_near_end
// > online. It starts offline: a printer is online only once a report says so
// (DLE EOT 1 or ASB). Every call that changes the status returns the
// transition, and only those do, so logging each returned transition logs
// every change exactly once.
class status_machine {
 public:
  std::optional<transition> observe(const observation& o);
  // The status request timed out: what was known is stale, the printer is
  // offline ("no status reply") until it answers again.
  std::optional<transition> no_reply();

  printer_status status() const { return status_; }
  const observation& known() const { return known_; }

 private:
  std::optional<transition> update(std::optional<std::string> reason);

  observation known_;
  printer_status status_ = printer_status::offline;
};

}  // namespace ravao::escpos
