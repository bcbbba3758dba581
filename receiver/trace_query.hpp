#pragma once
// A contact trace (docs/tracing.md): the case's visits in a period, then
// every visit at the same site (optionally the same counter) that
// overlapped one of them within a margin. Works on the trace index; opens
// only the sealed records of the visits in its answer, and says which.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/seal.hpp"
#include "receiver/trace_index.hpp"
#include "receiver/trace_source.hpp"

namespace ravao::receiver {

struct trace_request {
  std::string id_number;                 // the case's ID number, or
  std::optional<std::int64_t> slip;      // a slip number (the visit it was issued for)
  std::optional<std::string> gateway;    // the gateway of the slip (slip numbers are per gateway)
  std::int64_t from_ms = 0, to_ms = 0;   // the period, [from, to)
  std::int64_t margin_ms = 0;            // added before and after each case visit
  bool counter_only = false;             // contacts at the case visit's counter only
  int utc_offset_minutes = 7 * 60;       // local time, for "midnight"
};

// A visit as traced: its effective span and why it is uncertain.
//   open            no closing record: counted until the end of the period
//                   (at most 24 h, or the longest visit indexed, after it began)
//   no_entry        an exit without entry: the arrival is unknown; counted
//                   as the moment of the exit
//   time_derived    the gateway's clock was not synchronised: the time is
//                   derived from a boot anchor (docs/receiver.md, "Time")
//   time_unknown    no synchronised time in that boot (yet): the visit cannot
//                   be placed; listed because it was received after the
//                   case's visit began at the same site
//   crosses_midnight  begins and ends on different local days
//   undone          the opening was undone at the counter (a wrong scan)
struct traced_visit {
  indexed_visit v;
  std::optional<std::int64_t> start, end;
  std::vector<std::string> flags;
  // From the opened record; empty when it carries none, or could not be opened.
  std::string name, id_number, phone, open_error;
};

struct traced_contact {
  std::size_t case_visit = 0;  // index into trace_answer::case_visits
  traced_visit visit;
  std::optional<std::int64_t> overlap_from, overlap_to;  // nullopt: time unknown
};

struct opened_record {
  std::string gateway, stream;
  std::int64_t seq = 0;
};

struct trace_answer {
  std::vector<traced_visit> case_visits;
  std::vector<traced_contact> contacts;
  std::vector<opened_record> opened;
};

result<trace_answer> run_trace(trace_index& index, trace_source& source, const seal::key_pair& keys,
                               const trace_request& request);

}  // namespace ravao::receiver
