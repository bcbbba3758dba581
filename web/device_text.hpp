#pragma once
// What staff read about their counter's devices: the state ravaod reports
// (docs/control.md, `counters` and `devices`) as one plain Vietnamese
// sentence saying what is wrong and what to do ("Máy in hết giấy: thay cuộn
// giấy"). Pure.

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace ravao::web {

// A scanner's state (`starting`, `online`, `offline`, `error`).
std::string scanner_text(std::string_view state);
// A printer: its connection state and the paper status it last reported.
// The combined state: the connection's when not online, else the paper's
// (`online`, `paper_near_end`, `paper_out`, `cover_open`, `error`, `unknown`).
std::string printer_state(std::string_view connection, std::string_view paper);
std::string printer_text(std::string_view state);

// The counter as the page shows it, from one element of `counters` and the
// `devices` array: {"id","name","mode","visits_today","open_visits",
// "scanner":{"id","state","text"},"printer":{"id","state","text"}|null}.
boost::json::object counter_view(const boost::json::object& counter, const boost::json::value& devices);

}  // namespace ravao::web
