#pragma once
// A print job's content (the JSON stored with it, docs/slips.md "Print
// jobs") drawn as the raster that goes to the printer. The same function
// serves printing, `ravaoctl slip preview` and the file printer's preview,
// so what is previewed is what prints.

#include <string_view>

#include "common/error.hpp"
#include "common/raster.hpp"
#include "slip/slip_layout.hpp"

namespace ravao::slip {

// Stored content of a job of `kind` ("slip" | "card" | "test"), decoded by
// slip::decode (job_content.hpp): content it refuses is
// errc::invalid_argument (the job fails, nothing prints).
result<raster> render_job(fonts& f, std::string_view kind, std::string_view content_json, int width_dots);
result<raster> render_job(fonts& f, const job_content& content, int width_dots);

}  // namespace ravao::slip
