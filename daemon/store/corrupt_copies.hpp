#pragma once
// Copies of a corrupt store (docs/architecture.md "Opening the store"): at
// open, a file that fails `PRAGMA quick_check` is renamed with its -wal and
// -shm to PATH.corrupt-YYYYMMDDTHHMMSSZ (UTC, when it was moved aside) and a
// fresh store is started. A copy holds what the store held, the hash key of
// ID numbers included, so it is kept for the retention period only, like the
// records in it (docs/privacy.md): the hourly prune deletes older copies.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace ravao {

// PATH.corrupt-<stamp of `at_ms`, wall milliseconds since the epoch>: where
// the store at `path` is moved aside.
std::filesystem::path corrupt_copy_path(const std::filesystem::path& path, std::int64_t at_ms);

// When a copy named `file_name` of the store file `store_name` was moved
// aside (seconds since the epoch, from its name; -wal and -shm included);
// nullopt when it is not such a copy or its stamp does not parse.
std::optional<std::int64_t> corrupt_copy_time(std::string_view store_name, std::string_view file_name);

// Deletes the copies of the store at `path` moved aside before
// `cutoff_wall_ms` (a copy whose name does not say when goes by its
// modification time). Logs store.corrupt_copy_pruned for each deleted file,
// store.corrupt_copy_prune_failed for each that could not be. Returns how
// many files went.
int prune_corrupt_copies(const std::filesystem::path& path, std::int64_t cutoff_wall_ms);

}  // namespace ravao
