#pragma once
// Fault injection for SQLite, in the manner of Beast's test stream with a
// fail count: arm one kind of operation and the nth such operation from now,
// on any connection the process opens, fails; a test loops n = 1, 2, ...
// until a run completes without reaching n.
//
// Only SQLite's public API is used, so production code carries no hook:
//   - prepare: an authorizer (sqlite3_set_authorizer, installed on every new
//     connection through sqlite3_auto_extension) answers SQLITE_DENY to the
//     nth authorization a prepare asks for: that prepare fails (SQLITE_AUTH).
//     BEGIN/COMMIT/ROLLBACK, PRAGMAs and statements run by sqlite3_exec are
//     prepared too, so they are counted as well.
//   - read / write / sync: a VFS registered as the default, wrapping the real
//     one, fails the nth xRead (SQLITE_IOERR_READ), xWrite (SQLITE_FULL) or
//     xSync (SQLITE_IOERR_FSYNC) on any file (database, WAL, journal): the
//     step or COMMIT that needed it fails.
//   - bind: connections opened while `value_limit(n)` is set get
//     SQLITE_LIMIT_LENGTH = n, so binding a longer TEXT or BLOB fails with
//     SQLITE_TOOBIG.
// One fault per arm: after the nth operation fails, everything succeeds
// again (the rollback that follows a failure must not fail too).
//
// Thread: arm and read from the test's thread; the counters are atomics, so
// connections on other threads may be counted too.

#include <cstdint>

namespace ravao::test::sqlite_faults {

enum class op { prepare, read, write, sync };

// Installs the authorizer hook and the VFS (once per process). Call before
// opening the connections to watch.
void install();

// The nth operation of kind `o` from now fails (n >= 1); one fault only.
void fail_nth(op o, std::int64_t n);
// The nth operation of kind `o` from now ends the process with _exit(status)
// before it reaches the file: a process killed mid-write, for a forked child
// (what it wrote before stays in the files; the shim never really fsyncs).
void exit_at_nth(op o, std::int64_t n, int status);
// No fault armed; counting stops.
void disarm();
// Whether the armed fault has been injected.
bool fired();
// Operations of the armed kind seen since fail_nth.
std::int64_t seen();

// SQLITE_LIMIT_LENGTH for connections opened from now on; 0: SQLite's default.
void value_limit(int bytes);

}  // namespace ravao::test::sqlite_faults
