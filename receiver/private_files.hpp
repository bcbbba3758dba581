#pragma once
// The receiver's database holds a whole province's records (masks, sealed
// personal data): only the user it runs as may read it. main() sets umask
// 077, so whatever it creates is private (certificates from `pki` are made
// 0644 explicitly); this makes an existing database private too (a file
// created by an older version, or by hand, 0644).

#include <filesystem>

#include "common/error.hpp"

namespace ravao::receiver {

// Removes the group and other permission bits of `db` and of its -wal and
// -shm files, those that exist; logs receiver.db_made_private for each file
// that had any. A file that cannot be changed (another owner) is an error:
// serving it would leave it readable.
result<void> make_database_private(const std::filesystem::path& db);

}  // namespace ravao::receiver
