#include "drivers/escpos/status.hpp"

#include <utility>

namespace ravao::escpos {

namespace {

constexpr bool bit(std::uint8_t b, unsigned n) { return ((b >> n) & 1u) != 0; }
constexpr bool any(std::uint8_t b, std::uint8_t mask) { return (b & mask) != 0; }

// Higher wins; the order of the enum is not the precedence.
constexpr int rank(printer_status s) {
  switch (s) {
    case printer_status::online: return 0;
    case printer_status::paper_near_end: return 1;
    case printer_status::offline: return 2;
    case printer_status::paper_out: return 3;
    case printer_status::cover_open: return 4;
    case printer_status::error: return 5;
  }
  return 0;
}

// Why the status became `s`, when `s` outranks the one before.
std::string_view raised_reason(printer_status s) {
  switch (s) {
    case printer_status::online: return "printer online";
    case printer_status::paper_near_end: return "paper near end";
    case printer_status::paper_out: return "paper out";
    case printer_status::cover_open: return "cover open";
    case printer_status::offline: return "printer offline";
    case printer_status::error: return "printer error";
  }
  return "unknown";
}

// Why the status left `s`, when the new one ranks lower.
std::string_view cleared_reason(printer_status s) {
  switch (s) {
    case printer_status::online: return "printer online";
    case printer_status::paper_near_end: return "paper roll replaced";
    case printer_status::paper_out: return "paper loaded";
    case printer_status::cover_open: return "cover closed";
    case printer_status::offline: return "printer online";
    case printer_status::error: return "error cleared";
  }
  return "unknown";
}

printer_status derive(const observation& k) {
  if (k.error.value_or(false)) return printer_status::error;
  if (k.cover_open.value_or(false)) return printer_status::cover_open;
  if (k.paper_out.value_or(false)) return printer_status::paper_out;
  // Unknown is offline: online needs a report that says so.
  if (k.offline.value_or(true)) return printer_status::offline;
  if (k.paper_near_end.value_or(false)) return printer_status::paper_near_end;
  return printer_status::online;
}

void merge(std::optional<bool>& into, const std::optional<bool>& from) {
  if (from) into = from;
}

}  // namespace

std::array<std::uint8_t, 3> dle_eot(status_request n) {
  return {0x10, 0x04, static_cast<std::uint8_t>(n)};
}

observation decode_reply(status_request n, std::uint8_t reply) {
  observation o;
  switch (n) {
    case status_request::printer:
      o.offline = bit(reply, 3);
      break;
    case status_request::offline_cause:
      // Bit 5 (stopped by paper end) is left out on purpose: it is also set
      // at near end when the printer is set to stop there, and the paper
      // sensor reply says which it is.
      o.cover_open = bit(reply, 2);
      o.error = bit(reply, 6);
      break;
    case status_request::error_cause:
      o.error = any(reply, 0x6C);  // bits 2, 3, 5, 6
      break;
    case status_request::paper_sensor:
      o.paper_near_end = any(reply, 0x0C);  // bits 2-3
      o.paper_out = any(reply, 0x60);       // bits 5-6
      break;
  }
  return o;
}

observation decode_asb(std::span<const std::uint8_t, 4> block) {
  observation o;
  o.offline = bit(block[0], 3);
  o.cover_open = bit(block[0], 5);
  o.error = any(block[1], 0x6C);           // bits 2, 3, 5, 6
  o.paper_near_end = any(block[2], 0x03);  // bits 0-1
  o.paper_out = any(block[2], 0x0C);       // bits 2-3
  return o;
}

bool status_parser::expect(status_request n) {
  if (outstanding_ == max_outstanding) return false;
  requests_[(first_request_ + outstanding_) % max_outstanding] = n;
  ++outstanding_;
  return true;
}

void status_parser::abandon_block() {
  counters_.skipped_bytes += block_size_;
  block_size_ = 0;
}

void status_parser::feed(std::span<const std::uint8_t> bytes, const sink& on_report) {
  for (const std::uint8_t b : bytes) {
    if (is_dle_eot_reply(b)) {
      // Bit 4 set, so never part of an ASB block: a partial block stays.
      if (outstanding_ == 0) {
        ++counters_.unsolicited_replies;
        continue;
      }
      const status_request n = requests_[first_request_];
      first_request_ = (first_request_ + 1) % max_outstanding;
      --outstanding_;
      ++counters_.replies;
      status_report r{.answers = n, .bytes = {b}, .size = 1, .seen = decode_reply(n, b)};
      on_report(r);
    } else if (is_asb_first(b)) {
      abandon_block();
      block_[0] = b;
      block_size_ = 1;
    } else if (block_size_ > 0 && is_asb_next(b)) {
      block_[block_size_++] = b;
      if (block_size_ == block_.size()) {
        block_size_ = 0;
        ++counters_.asb_blocks;
        status_report r{.answers = std::nullopt, .bytes = block_, .size = 4, .seen = decode_asb(block_)};
        on_report(r);
      }
    } else {
      abandon_block();
      ++counters_.skipped_bytes;
    }
  }
}

std::string_view to_string(printer_status s) {
  switch (s) {
    case printer_status::online: return "online";
    case printer_status::paper_near_end: return "paper_near_end";
    case printer_status::paper_out: return "paper_out";
    case printer_status::cover_open: return "cover_open";
    case printer_status::offline: return "offline";
    case printer_status::error: return "error";
  }
  return "unknown";
}

std::optional<transition> status_machine::observe(const observation& o) {
  merge(known_.offline, o.offline);
  merge(known_.cover_open, o.cover_open);
  merge(known_.paper_near_end, o.paper_near_end);
  merge(known_.paper_out, o.paper_out);
  merge(known_.error, o.error);
  return update(std::nullopt);
}

std::optional<transition> status_machine::no_reply() {
  known_ = observation{};
  known_.offline = true;
  return update(std::string("no status reply"));
}

std::optional<transition> status_machine::update(std::optional<std::string> reason) {
  const printer_status next = derive(known_);
  if (next == status_) return std::nullopt;
  transition t{.from = status_, .to = next, .reason = {}};
  if (reason) {
    t.reason = std::move(*reason);
  } else {
    t.reason = rank(next) > rank(status_) ? raised_reason(next) : cleared_reason(status_);
  }
  status_ = next;
  return t;
}

}  // namespace ravao::escpos
