#pragma once
// Versioned schema: PRAGMA user_version is the number of migrations applied.
// Each migration runs in its own transaction; a store newer than this build
// is refused rather than touched.

#include <sqlite3.h>

#include "core/error.hpp"

namespace ravao::schema {

int latest_version();

// Brings the store to latest_version(). Returns the version found before.
result<int> migrate(sqlite3* db);

}  // namespace ravao::schema
