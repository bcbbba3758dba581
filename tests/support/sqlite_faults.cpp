#include "support/sqlite_faults.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace ravao::test::sqlite_faults {
namespace {

std::atomic<int> armed{-1};  // static_cast<int>(op), or -1
std::atomic<std::int64_t> countdown{0};
std::atomic<std::int64_t> counted{0};
std::atomic<bool> injected{false};
std::atomic<int> length_limit{0};
std::atomic<int> exit_status{-1};  // >= 0: the armed operation ends the process instead of failing

// True when this operation of kind `o` is the one to fail.
bool hit(op o) {
  if (armed.load() != static_cast<int>(o)) return false;
  ++counted;
  if (countdown.fetch_sub(1) != 1) return false;
  injected = true;
  armed = -1;
  if (const int status = exit_status.load(); status >= 0) ::_exit(status);
  return true;
}

int authorize(void*, int, const char*, const char*, const char*, const char*) {
  return hit(op::prepare) ? SQLITE_DENY : SQLITE_OK;
}

int on_open(sqlite3* db, const char**, const sqlite3_api_routines*) {
  sqlite3_set_authorizer(db, &authorize, nullptr);
  if (const int n = length_limit.load(); n > 0) sqlite3_limit(db, SQLITE_LIMIT_LENGTH, n);
  return SQLITE_OK;
}

// The VFS shim: our file object is a header followed by the real VFS's file.
sqlite3_vfs* real_vfs = nullptr;
sqlite3_vfs shim_vfs;

struct shim_file {
  sqlite3_file base;
  sqlite3_file* real;
};

sqlite3_file* real_of(sqlite3_file* f) { return reinterpret_cast<shim_file*>(f)->real; }

int shim_close(sqlite3_file* f) {
  sqlite3_file* r = real_of(f);
  return r->pMethods ? r->pMethods->xClose(r) : SQLITE_OK;
}
int shim_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  if (hit(op::read)) return SQLITE_IOERR_READ;
  return real_of(f)->pMethods->xRead(real_of(f), buf, n, off);
}
int shim_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  if (hit(op::write)) return SQLITE_FULL;
  return real_of(f)->pMethods->xWrite(real_of(f), buf, n, off);
}
int shim_truncate(sqlite3_file* f, sqlite3_int64 size) { return real_of(f)->pMethods->xTruncate(real_of(f), size); }
// No real fsync: these tests are about errors, not power loss, and a
// thousand runs of fsyncs would take minutes.
int shim_sync(sqlite3_file*, int) { return hit(op::sync) ? SQLITE_IOERR_FSYNC : SQLITE_OK; }
int shim_file_size(sqlite3_file* f, sqlite3_int64* size) { return real_of(f)->pMethods->xFileSize(real_of(f), size); }
int shim_lock(sqlite3_file* f, int l) { return real_of(f)->pMethods->xLock(real_of(f), l); }
int shim_unlock(sqlite3_file* f, int l) { return real_of(f)->pMethods->xUnlock(real_of(f), l); }
int shim_check_reserved(sqlite3_file* f, int* out) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int shim_file_control(sqlite3_file* f, int opcode, void* arg) {
  return real_of(f)->pMethods->xFileControl(real_of(f), opcode, arg);
}
int shim_sector_size(sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }
int shim_device_characteristics(sqlite3_file* f) {
  return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
int shim_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** p) {
  return real_of(f)->pMethods->xShmMap(real_of(f), region, size, extend, p);
}
int shim_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void shim_shm_barrier(sqlite3_file* f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); }
int shim_shm_unmap(sqlite3_file* f, int delete_flag) { return real_of(f)->pMethods->xShmUnmap(real_of(f), delete_flag); }
int shim_fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** p) {
  return real_of(f)->pMethods->xFetch(real_of(f), off, n, p);
}
int shim_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return real_of(f)->pMethods->xUnfetch(real_of(f), off, p);
}

const sqlite3_io_methods shim_methods = {
    3, &shim_close, &shim_read, &shim_write, &shim_truncate, &shim_sync, &shim_file_size, &shim_lock,
    &shim_unlock, &shim_check_reserved, &shim_file_control, &shim_sector_size, &shim_device_characteristics,
    &shim_shm_map, &shim_shm_lock, &shim_shm_barrier, &shim_shm_unmap, &shim_fetch, &shim_unfetch,
};

int shim_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  auto* s = reinterpret_cast<shim_file*>(f);
  s->real = reinterpret_cast<sqlite3_file*>(s + 1);
  std::memset(s->real, 0, static_cast<std::size_t>(real_vfs->szOsFile));
  const int rc = real_vfs->xOpen(real_vfs, name, s->real, flags, out_flags);
  // SQLite calls xClose only when pMethods is set: mirror the real file.
  f->pMethods = s->real->pMethods ? &shim_methods : nullptr;
  return rc;
}

}  // namespace

void install() {
  static std::once_flag once;
  std::call_once(once, [] {
    real_vfs = sqlite3_vfs_find(nullptr);
    if (!real_vfs) throw std::runtime_error("sqlite_faults: no default VFS");
    // A copy of the real VFS (its other methods keep working on it: they
    // read only mxPathname and pAppData), with our xOpen and file size.
    shim_vfs = *real_vfs;
    shim_vfs.zName = "ravao-test-faults";
    shim_vfs.pNext = nullptr;
    shim_vfs.szOsFile = static_cast<int>(sizeof(shim_file)) + real_vfs->szOsFile;
    shim_vfs.xOpen = &shim_open;
    if (sqlite3_vfs_register(&shim_vfs, 1) != SQLITE_OK) throw std::runtime_error("sqlite_faults: vfs_register");
    // sqlite3_auto_extension takes the entry point as void(*)(void).
    if (sqlite3_auto_extension(reinterpret_cast<void (*)()>(&on_open)) != SQLITE_OK)
      throw std::runtime_error("sqlite_faults: auto_extension");
  });
}

void fail_nth(op o, std::int64_t n) {
  armed = -1;
  exit_status = -1;
  injected = false;
  counted = 0;
  countdown = n;
  armed = static_cast<int>(o);
}

void exit_at_nth(op o, std::int64_t n, int status) {
  fail_nth(o, n);
  exit_status = status;
}

void disarm() { armed = -1; }

bool fired() { return injected.load(); }

std::int64_t seen() { return counted.load(); }

void value_limit(int bytes) { length_limit = bytes; }

}  // namespace ravao::test::sqlite_faults
