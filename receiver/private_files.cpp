#include "receiver/private_files.hpp"

#include <sys/stat.h>

#include <cerrno>

#include <fmt/format.h>

#include "common/log.hpp"

namespace ravao::receiver {

result<void> make_database_private(const std::filesystem::path& db) {
  for (const auto& suffix : {"", "-wal", "-shm"}) {
    const std::string file = db.native() + suffix;
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;
      return fail_errno(errno, "cannot read the mode of " + file);
    }
    const mode_t mode = st.st_mode & 07777;
    if ((mode & 077) == 0) continue;
    if (::chmod(file.c_str(), mode & ~mode_t{077}) != 0) {
      return fail_errno(errno, fmt::format("{} is readable by others (mode {:04o}) and cannot be made private", file,
                                           static_cast<unsigned>(mode)));
    }
    log::warning("receiver.db_made_private", "the database was readable by others; its mode is now private",
                 {{"file", file}, {"was", fmt::format("{:04o}", static_cast<unsigned>(mode))},
                  {"now", fmt::format("{:04o}", static_cast<unsigned>(mode & ~mode_t{077}))}});
  }
  return {};
}

}  // namespace ravao::receiver
