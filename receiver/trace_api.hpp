#pragma once
// The trace API's request and answer (docs/tracing.md, "The HTTPS API"):
// `POST /v1/trace` with a JSON object, the same question as the `trace`
// command's options, and the answer as JSON or CSV. Pure: no network, no
// store (trace_server.cpp does those).
//
//   {"case": "CA-2026-118", "legal_basis": "QĐ 2686/QĐ-BCĐQG",
//    "id_number": "001090012345"  |  "slip": 171, "gateway": "gw-a",
//    "from": "2026-12-01", "to": "2026-12-14", "margin_minutes": 15,
//    "counter_only": false, "utc_offset": "+07:00", "requested_by": "BS. Lan"}

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "receiver/trace_query.hpp"

namespace ravao::receiver {

struct api_request {
  trace_request query;
  std::string case_ref, legal_basis;
  std::optional<std::string> requested_by;  // the person asking, when not the certificate's holder
};

// A request body read: `request` when valid, else `error` (the 400's
// message). `case_ref` and `legal_basis` are kept when readable either way,
// for the audit entry of a refusal.
struct parsed_api_request {
  std::optional<api_request> request;
  std::string error;
  std::string case_ref, legal_basis;
};

// `now_ms` is the default of "to". Unknown members are refused, as are
// strings longer than the limits below.
parsed_api_request parse_api_request(std::string_view body, std::int64_t now_ms);

inline constexpr std::size_t max_api_text = 512;  // case, legal_basis, requested_by, id_number, gateway

enum class answer_format { json, csv };
// "?format=csv|json" in the target first, then an Accept naming text/csv;
// JSON otherwise. nullopt: an unknown format= value.
std::optional<answer_format> answer_format_of(std::string_view target, std::string_view accept);

}  // namespace ravao::receiver
