#pragma once
// The trace file's audit log (docs/tracing.md): one entry per query and per
// index pass (who, when, the case reference, the legal basis, what was
// asked, which records were opened), appended, never changed. Each entry
// carries the hash of the one before it, keyed with a key derived from the
// provincial secret key (trace_keys::audit): an entry changed, removed or
// inserted breaks the chain at that point, and only the key's holder can
// forge a new chain. Removing the newest entries leaves a valid shorter
// chain: compare the head (count and hash, printed by `audit --verify` and
// logged with each entry) with a copy kept elsewhere.

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "common/error.hpp"
#include "receiver/trace_index.hpp"

namespace ravao::receiver {

struct audit_entry {
  std::int64_t id = 0;
  std::string entry;  // the JSON object as hashed
  std::string prev, hash;
};

struct audit_head {
  std::int64_t count = 0;
  std::string hash;  // of the newest entry; 64 zeros when empty
};

// Appends `entry` (its members: at_ms, operator, unix_user, action, case,
// legal_basis, query, opened...) in its own transaction.
result<audit_head> audit_append(sqlite3* db, const trace_keys& keys, const boost::json::object& entry);
result<std::vector<audit_entry>> audit_entries(sqlite3* db);

struct audit_check {
  audit_head head;
  std::vector<std::string> problems;  // empty: the chain holds
};
audit_check audit_verify(const std::vector<audit_entry>& entries, const trace_keys& keys);

}  // namespace ravao::receiver
