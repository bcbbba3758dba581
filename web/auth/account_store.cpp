#include "web/auth/account_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include <fmt/format.h>
#include <sodium.h>

#include "common/civil_time.hpp"
#include "common/clock.hpp"
#include "web/auth/account_file.hpp"

namespace ravao::web {
namespace {

// Closes a descriptor when it goes out of scope.
struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

// What tells one version of users.json from another without reading it.
struct file_identity {
  bool exists = false;
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  timespec mtime{};
  bool operator==(const file_identity& o) const {
    return exists == o.exists && dev == o.dev && ino == o.ino && size == o.size &&
           mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec;
  }
};

file_identity identity_of(const struct stat& st) {
  return {true, st.st_dev, st.st_ino, st.st_size, st.st_mtim};
}

struct loaded {
  std::vector<account> accounts;
  file_identity identity;
};

bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

// A hash of a random password with the same cost as a real one: what an
// unknown name is verified against. Made once per process.
const std::string& dummy_hash() {
  static const std::string hash = [] {
    unsigned char secret[16];
    randombytes_buf(secret, sizeof secret);
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(out, reinterpret_cast<const char*>(secret), sizeof secret, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
      return std::string();
    return std::string(out);
  }();
  return hash;
}

std::string utc_now() { return format_iso_utc(now().wall_ms); }

result<loaded> load_file(const std::filesystem::path& path) {
  const std::string p = path.string();
  fd_guard f{::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)};
  if (f.fd < 0) {
    if (errno == ENOENT) return loaded{};
    if (errno == ELOOP) return fail(errc::invalid_argument, p + ": is a symbolic link; refusing to read accounts through it");
    return fail_errno(errno, p + ": cannot open");
  }
  struct stat st{};
  if (::fstat(f.fd, &st) != 0) return fail_errno(errno, p + ": cannot stat");
  if (!S_ISREG(st.st_mode)) return fail(errc::invalid_argument, p + ": not a regular file");
  if ((st.st_mode & 077) != 0)
    return fail(errc::invalid_argument,
                fmt::format("{}: mode {:04o} lets group or others read or change the password hashes; "
                            "refusing to use it (run: chmod 600 {})",
                            p, st.st_mode & 07777, p));
  if (static_cast<std::size_t>(st.st_size) > max_account_file_bytes)
    return fail(errc::invalid_argument, fmt::format("{}: larger than {} bytes", p, max_account_file_bytes));
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(f.fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(errno, p + ": cannot read");
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);
  auto accounts = parse_account_file(text, p);
  if (!accounts) return std::unexpected(accounts.error());
  return loaded{std::move(*accounts), identity_of(st)};
}

result<void> write_all(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(errno, what + ": cannot write");
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Replaces `path` atomically with the accounts; returns the new file's
// identity. Run as root, the file goes to the folder's owner and group.
result<file_identity> save_file(const std::filesystem::path& path, const std::vector<account>& accounts) {
  const std::string dir = path.parent_path().empty() ? std::string(".") : path.parent_path().string();
  const std::string name = path.filename().string();
  fd_guard d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0)
    return fail_errno(errno, dir + ": cannot open the accounts folder (is state_dir in web.toml right? "
                                   "the package creates it)");
  struct stat dir_st{};
  if (::fstat(d.fd, &dir_st) != 0) return fail_errno(errno, dir + ": cannot stat");
  unsigned char nonce[8];
  randombytes_buf(nonce, sizeof nonce);
  const std::string temp = fmt::format(".{}.{:02x}.tmp", name, fmt::join(nonce, ""));
  const std::string temp_path = dir + "/" + temp;
  fd_guard f{::openat(d.fd, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)};
  if (f.fd < 0) return fail_errno(errno, temp_path + ": cannot create");
  auto written = [&]() -> result<void> {
    if (::fchmod(f.fd, 0600) != 0) return fail_errno(errno, temp_path + ": cannot chmod 600");
    if (::geteuid() == 0 && ::fchown(f.fd, dir_st.st_uid, dir_st.st_gid) != 0)
      return fail_errno(errno, temp_path + ": cannot give it to the folder's owner");
    if (auto r = write_all(f.fd, format_account_file(accounts), temp_path); !r) return r;
    if (::fsync(f.fd) != 0) return fail_errno(errno, temp_path + ": fsync");
    if (::renameat(d.fd, temp.c_str(), d.fd, name.c_str()) != 0) return fail_errno(errno, path.string() + ": cannot replace");
    return {};
  }();
  if (!written) {
    ::unlinkat(d.fd, temp.c_str(), 0);
    return std::unexpected(written.error());
  }
  // The rename is durable only once the folder is.
  if (::fsync(d.fd) != 0) return fail_errno(errno, dir + ": fsync of the folder");
  struct stat st{};
  if (::fstat(f.fd, &st) != 0) return fail_errno(errno, path.string() + ": cannot stat");
  return identity_of(st);
}

std::vector<account>::iterator find_in(std::vector<account>& accounts, std::string_view name) {
  return std::ranges::find(accounts, name, &account::name);
}

}  // namespace

result<std::string> hash_password(std::string_view password) {
  if (auto r = check_password(password); !r) return std::unexpected(r.error());
  if (!sodium_ready()) return fail(errc::invalid_argument, "libsodium could not start");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return fail(std::make_error_code(std::errc::not_enough_memory), "Argon2id needs 64 MiB of memory");
  return std::string(out);
}

struct account_store::state {
  mutable std::mutex mutex;
  std::filesystem::path path;
  std::vector<account> accounts;  // sorted by name
  file_identity identity;

  // Names whose sessions must end, gathered by every reload until refresh()
  // hands them over.
  std::vector<std::string> ended;

  // Reads the file when it changed (its identity differs).
  result<void> reload_if_changed() {
    struct stat st{};
    file_identity now{};
    if (::lstat(path.c_str(), &st) == 0) now = identity_of(st);
    else if (errno != ENOENT) return fail_errno(errno, path.string() + ": cannot stat");
    if (now == identity) return {};
    auto l = load_file(path);
    if (!l) return std::unexpected(l.error());
    const std::vector<account> old = install(std::move(*l));
    for (const account& before : old) {
      const auto it = std::ranges::find(accounts, before.name, &account::name);
      if ((it == accounts.end() || (it->disabled && !before.disabled) || it->hash != before.hash ||
           it->role != before.role || it->counters != before.counters) &&
          std::ranges::find(ended, before.name) == ended.end())
        ended.push_back(before.name);
    }
    return {};
  }

  // Makes the loaded file current; returns the accounts it replaced.
  std::vector<account> install(loaded l) {
    std::ranges::sort(l.accounts, {}, &account::name);
    identity = l.identity;
    return std::exchange(accounts, std::move(l.accounts));
  }

  // Saves `next` and makes it the accounts in memory.
  result<void> commit(std::vector<account> next) {
    std::ranges::sort(next, {}, &account::name);
    auto id = save_file(path, next);
    if (!id) return std::unexpected(id.error());
    accounts = std::move(next);
    identity = *id;
    return {};
  }

  // The current accounts after catching up with the file, for a change.
  result<std::vector<account>> for_change() {
    if (auto r = reload_if_changed(); !r) return std::unexpected(r.error());
    return accounts;
  }

  std::optional<account> find(std::string_view name) const {
    const auto it = std::ranges::find(accounts, name, &account::name);
    if (it == accounts.end()) return std::nullopt;
    return *it;
  }
};

account_store::account_store(std::unique_ptr<state> s) : state_(std::move(s)) {}
account_store::account_store(account_store&&) noexcept = default;
account_store& account_store::operator=(account_store&&) noexcept = default;
account_store::~account_store() = default;

result<account_store> account_store::open(std::filesystem::path path) {
  if (!sodium_ready() || dummy_hash().empty())
    return fail(errc::invalid_argument, "libsodium could not start, or Argon2id could not get its 64 MiB");
  auto s = std::make_unique<state>();
  s->path = std::move(path);
  auto l = load_file(s->path);
  if (!l) return std::unexpected(l.error());
  s->install(std::move(*l));
  return account_store(std::move(s));
}

const std::filesystem::path& account_store::path() const { return state_->path; }

std::optional<account> account_store::find(std::string_view name) const {
  std::lock_guard lock(state_->mutex);
  return state_->find(name);
}

std::vector<account> account_store::list() const {
  std::lock_guard lock(state_->mutex);
  return state_->accounts;
}

result<account> account_store::add(std::string_view name, role r, std::vector<std::string> counters,
                                   std::string_view password) {
  account a;
  a.name = std::string(name);
  a.role = r;
  a.counters = std::move(counters);
  a.hash = "$argon2id$";  // the real hash is made once the rest is checked
  if (auto ok = check_account(a); !ok) return std::unexpected(ok.error());
  auto hash = hash_password(password);
  if (!hash) return std::unexpected(hash.error());
  a.hash = std::move(*hash);
  a.created = a.changed = utc_now();
  std::lock_guard lock(state_->mutex);
  auto next = state_->for_change();
  if (!next) return std::unexpected(next.error());
  if (find_in(*next, name) != next->end())
    return fail(errc::invalid_argument, "user \"" + a.name + "\" exists (passwd changes the password)");
  next->push_back(a);
  if (auto ok = state_->commit(std::move(*next)); !ok) return std::unexpected(ok.error());
  return a;
}

result<void> account_store::set_password(std::string_view name, std::string_view password) {
  auto hash = hash_password(password);
  if (!hash) return std::unexpected(hash.error());
  std::lock_guard lock(state_->mutex);
  auto next = state_->for_change();
  if (!next) return std::unexpected(next.error());
  const auto it = find_in(*next, name);
  if (it == next->end()) return fail(errc::not_found, "no user \"" + std::string(name) + "\"");
  it->hash = std::move(*hash);
  it->changed = utc_now();
  return state_->commit(std::move(*next));
}

result<void> account_store::set_disabled(std::string_view name, bool disabled) {
  std::lock_guard lock(state_->mutex);
  auto next = state_->for_change();
  if (!next) return std::unexpected(next.error());
  const auto it = find_in(*next, name);
  if (it == next->end()) return fail(errc::not_found, "no user \"" + std::string(name) + "\"");
  if (it->disabled == disabled) return {};
  it->disabled = disabled;
  it->changed = utc_now();
  return state_->commit(std::move(*next));
}

result<account> account_store::verify(std::string_view name, std::string_view password) const {
  std::optional<account> a;
  {
    std::lock_guard lock(state_->mutex);
    // An account added or disabled a moment ago counts now. A file that does
    // not read keeps the accounts in memory (refresh() reports it).
    (void)state_->reload_if_changed();
    a = state_->find(name);
  }
  // An unknown name costs one Argon2id run too, against the dummy hash.
  const std::string& hash = a ? a->hash : dummy_hash();
  const bool match =
      crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0 && a.has_value();
  if (!match) return fail(std::make_error_code(std::errc::permission_denied), "wrong user name or password");
  if (a->disabled)
    return fail(std::make_error_code(std::errc::operation_not_permitted), "account \"" + a->name + "\" is disabled");
  a->hash.clear();
  return *a;
}

result<std::vector<std::string>> account_store::refresh() {
  std::lock_guard lock(state_->mutex);
  if (auto r = state_->reload_if_changed(); !r) return std::unexpected(r.error());
  return std::exchange(state_->ended, {});
}

}  // namespace ravao::web
