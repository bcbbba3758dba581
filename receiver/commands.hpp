#pragma once
// The subcommands of ravao-receiver. Each takes the words after its name,
// prints its own --help, throws usage_error for a bad command line (exit 2)
// and returns 1 after printing a runtime failure to stderr.

#include <span>

namespace ravao::receiver {

int serve_command(std::span<char*> args);
int keygen_command(std::span<char*> args);
int records_command(std::span<char*> args);
int stats_command(std::span<char*> args);
int pki_command(std::span<char*> args);
int sites_command(std::span<char*> args);
int report_command(std::span<char*> args);
int fleet_command(std::span<char*> args);
// Tracing (docs/tracing.md): trace_command.cpp.
int trace_command(std::span<char*> args);
int index_command(std::span<char*> args);
int audit_command(std::span<char*> args);
// The trace API over HTTPS (trace_serve_command.cpp).
int trace_serve_command(std::span<char*> args);

}  // namespace ravao::receiver
