#pragma once
// trace_source.hpp against the receiver's PostgreSQL engine: what `index`,
// `trace` and `trace-serve` read from a province's PostgreSQL store
// (docs/tracing.md, "PostgreSQL"), read only. The trace file (index and
// audit log) stays in its own SQLite file where the key is.

#include <memory>
#include <string>

#include "common/error.hpp"
#include "receiver/trace_source.hpp"

namespace ravao::receiver {

// `url`: a postgresql:// URL, as `serve --db`: the primary (a standby is
// refused). The database must be of the current schema (serve brings it there).
result<std::unique_ptr<trace_source>> open_pg_trace_source(const std::string& url);

}  // namespace ravao::receiver
