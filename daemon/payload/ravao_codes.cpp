// ravao's own barcodes, namespace "RAVAO:" (case-sensitive prefix):
//   RAVAO:CMD:<VERB>                staff command for the counter that scans it
//   RAVAO:CMD:<VERB>:<COUNTER-ID>   staff command for a named counter
//   RAVAO:SLIP:<NUMBER>             a printed paper declaration slip
// VERB is one of the verbs below, exactly. COUNTER-ID is 1..32 characters of
// [A-Za-z0-9_-]. NUMBER is 4..16 characters of [0-9A-Z]; its check digit is
// defined by the slip-printing code, which validates it, not the classifier.
// Anything else under the prefix is opaque "unknown_ravao_code": a code of
// ours that this build does not understand must never be taken for data.

#include <algorithm>
#include <array>

#include "payload/formats.hpp"

namespace ravao::payload {

bool is_command_counter_id(std::string_view s) {
  const auto ok = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           c == '_' || c == '-';
  };
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), ok);
}

namespace {

constexpr std::array<std::string_view, 4> command_verbs = {
    "PRINT_SLIP", "CHECKOUT_LAST", "UNDO_LAST", "PRINTER_TEST"};

bool is_slip_number(std::string_view s) {
  const auto ok = [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); };
  return s.size() >= 4 && s.size() <= 16 && std::all_of(s.begin(), s.end(), ok);
}

bool parse_command(std::string_view rest, classified_payload& out) {
  const std::size_t colon = rest.find(':');
  const std::string_view verb = rest.substr(0, colon);
  if (std::find(command_verbs.begin(), command_verbs.end(), verb) == command_verbs.end()) {
    return false;
  }
  std::string_view arg;
  if (colon != std::string_view::npos) {
    arg = rest.substr(colon + 1);
    if (!is_command_counter_id(arg)) return false;
  }
  out.kind = payload_kind::ravao_command;
  out.command = verb;
  out.command_arg = arg;
  return true;
}

}  // namespace

void parse_ravao_code(std::string_view text, classified_payload& out) {
  const std::string_view rest = text.substr(std::string_view("RAVAO:").size());
  if (rest.starts_with("CMD:") && parse_command(rest.substr(4), out)) return;
  if (rest.starts_with("SLIP:") && is_slip_number(rest.substr(5))) {
    out.kind = payload_kind::ravao_slip;
    out.slip_number = rest.substr(5);
    return;
  }
  out.kind = payload_kind::opaque;
  add_flag(out, "unknown_ravao_code");
}

}  // namespace ravao::payload
