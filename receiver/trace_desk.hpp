#pragma once
// Where tracing is done (docs/tracing.md): the secret key, the store read
// only, and the trace file (index and audit log) opened together, and the
// three things asked of them, each written into the audit log: an index
// pass, a trace (no answer without its entry) and a refused request (the
// HTTPS API's). Used by the `trace` and `index` commands and by
// `trace-serve`, so that a trace through the API is the command's trace.
//
// Thread: owned by one thread at a time (a command; trace-serve's single
// worker, which makes it the trace file's one writer).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "common/error.hpp"
#include "common/seal.hpp"
#include "receiver/trace_index.hpp"
#include "receiver/trace_query.hpp"
#include "receiver/trace_source.hpp"

namespace ravao::receiver {

// The provincial secret key from --key; a clear error when it is not given,
// does not read, or is not a secret key.
result<seal::key_pair> read_secret_key(const std::optional<std::string>& path, std::string_view option = "--key");

// Who asks, and why. `who` is merged into the audit entry (for the API: the
// certificate's serial and fingerprint, the peer, the person named in the
// request); `operator_name` is the entry's "operator".
struct trace_purpose {
  std::string operator_name;
  std::string case_ref;
  std::string legal_basis;
  boost::json::object who;
};

// The user this process runs as (written into each audit entry).
std::string current_unix_user();

// The first members of every audit entry: at_ms, action, operator, unix_user.
boost::json::object audit_entry_head(std::string_view action, const std::string& operator_name);

class trace_desk {
 public:
  // `db`: the receiver's store, a SQLite file or a postgresql:// URL (read only).
  static result<std::unique_ptr<trace_desk>> open(const seal::key_pair& keys, const std::string& db,
                                                  const std::filesystem::path& trace_db);

  // Indexes what is new in the store; an entry when anything was read or retimed.
  result<index_stats> index_pass(const std::string& operator_name, const boost::json::object& who = {});
  // An index pass, the trace, and its audit entry; the answer only once the
  // entry is written. `id_number` in `rq` is written as its keyed hash only.
  result<trace_answer> trace(const trace_request& rq, const trace_purpose& why);
  // Appends `entry` (made with audit_entry_head) as it is.
  result<void> audit(const boost::json::object& entry);

 private:
  trace_desk(const seal::key_pair& keys, std::unique_ptr<trace_source> source, std::unique_ptr<trace_index> index);

  seal::key_pair keys_;
  trace_keys derived_;
  std::unique_ptr<trace_source> source_;
  std::unique_ptr<trace_index> index_;
};

}  // namespace ravao::receiver
