#include "store/corrupt_copies.hpp"

#include <chrono>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "common/civil_time.hpp"
#include "common/log.hpp"

namespace ravao {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view marker = ".corrupt-";
constexpr std::size_t stamp_size = 16;  // YYYYMMDDTHHMMSSZ

std::optional<int> digits(std::string_view s) {
  int v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::optional<std::int64_t> parse_stamp(std::string_view s) {
  if (s.size() != stamp_size || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  const auto y = digits(s.substr(0, 4)), mo = digits(s.substr(4, 2)), d = digits(s.substr(6, 2));
  const auto h = digits(s.substr(9, 2)), mi = digits(s.substr(11, 2)), se = digits(s.substr(13, 2));
  if (!y || !mo || !d || !h || !mi || !se) return std::nullopt;
  const auto ms = utc_ms(*y, static_cast<unsigned>(*mo), static_cast<unsigned>(*d), static_cast<unsigned>(*h),
                         static_cast<unsigned>(*mi), static_cast<unsigned>(*se));
  if (!ms) return std::nullopt;
  return *ms / 1000;
}

}  // namespace

fs::path corrupt_copy_path(const fs::path& path, std::int64_t at_ms) {
  // A clock outside the years 0..9999 is not a clock: the epoch's stamp.
  const utc_fields f = utc_of(at_ms).value_or(utc_fields{});
  return path.string() + std::string(marker) +
         fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", f.year, f.month, f.day, f.hour, f.minute, f.second);
}

std::optional<std::int64_t> corrupt_copy_time(std::string_view store_name, std::string_view file_name) {
  if (!file_name.starts_with(store_name)) return std::nullopt;
  file_name.remove_prefix(store_name.size());
  if (!file_name.starts_with(marker)) return std::nullopt;
  file_name.remove_prefix(marker.size());
  for (const std::string_view suffix : {"-wal", "-shm"})
    if (file_name.ends_with(suffix)) file_name.remove_suffix(suffix.size());
  return parse_stamp(file_name);
}

int prune_corrupt_copies(const fs::path& path, std::int64_t cutoff_wall_ms) {
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const std::string store_name = path.filename().string();
  const std::string prefix = store_name + std::string(marker);
  std::vector<fs::path> old;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code fec;
    if (!name.starts_with(prefix) || !it->is_regular_file(fec)) continue;
    std::int64_t ms = 0;  // when it was moved aside
    if (const auto t = corrupt_copy_time(store_name, name)) {
      ms = *t * 1000;
    } else {
      const auto mtime = fs::last_write_time(it->path(), fec);
      if (fec) continue;
      ms = std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::file_clock::to_sys(mtime).time_since_epoch()).count();
    }
    if (ms < cutoff_wall_ms) old.push_back(it->path());
  }
  int removed = 0;
  for (const auto& file : old) {
    std::error_code rec;
    if (fs::remove(file, rec)) {
      ++removed;
      log::notice("store.corrupt_copy_pruned", "a copy of a corrupt store outlived retention and was deleted",
                  {{"path", file.string()}});
    } else if (rec) {
      log::warning("store.corrupt_copy_prune_failed", "a copy of a corrupt store outlived retention but could not be "
                   "deleted", {{"path", file.string()}, {"error", rec.message()}});
    }
  }
  return removed;
}

}  // namespace ravao
