#pragma once
// The visitor's printed copy of a proxy declaration (`declare` with
// "print_copy": docs/control.md) and the check-in QR poster: job content
// built from the configuration and the declaration as stored.
//
// The copy is generic over the form: it prints the stored declaration
// JSON's fields in their order, each with its label (a field this build has
// no label for prints under its name), so a province's own form definition
// prints without a change here.

#include <boost/json/object.hpp>

#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "slip/job_content.hpp"
#include "store/store.hpp"

namespace ravao {

// The site's check-in poster for counter `c`'s printer `p`; an error in
// words when [site] checkin_qr is not set.
result<job_request> poster_job(const config& cfg, const counter_config& c, const printer_config& p,
                               const timestamp& at);

// (label, value) lines of a stored declaration (slip::to_json's object), in
// its order, nested objects flattened in place; `name` and `id` are left
// out (the copy's header shows them masked). Values are shown as staff
// typed them, yes/no/unknown and male/female in Vietnamese.
std::vector<std::pair<std::string, std::string>> declaration_answers(const boost::json::object& declaration);

// The copy of declaration record `seq` as the store keeps it: no answers.
slip::declaration_copy_content declaration_copy_for(const config& cfg, const counter_config& c, const timestamp& at,
                                                    std::int64_t seq, std::string_view slip_number,
                                                    std::string_view person_id, std::string_view person_name,
                                                    std::string_view actor);

}  // namespace ravao
