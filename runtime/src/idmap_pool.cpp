#include "vsrv/runtime/idmap_pool.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <sstream>

#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"

namespace vsrv::runtime {

namespace {

constexpr uint64_t kLastId = 4294967294;  // (uid_t)-1 is no id

std::optional<uint64_t> number(const std::string& s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  return std::stoull(s);
}

std::string idmap_dir(const std::string& data) {
  return data + "/idmap";
}

std::string range_path(const std::string& data, uint32_t base) {
  return idmap_dir(data) + "/" + std::to_string(base);
}

UniqueFd lock_pool(const std::string& dir) {
  const std::string path = dir + "/lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) throw SysError("open " + path);
  while (::flock(fd.get(), LOCK_EX) < 0) {
    if (errno != EINTR) throw SysError("lock " + path);
  }
  return fd;
}

// Whether any range is held: stops at the first range file.
bool any_range_held(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return false;
  bool held = false;
  while (auto* e = ::readdir(d)) {
    if (number(e->d_name)) {
      held = true;
      break;
    }
  }
  ::closedir(d);
  return held;
}

// The pool ranges were handed out from must not change under held ranges:
// ranges of two different pools could overlap.
void pin_pool(const std::string& dir, const IdPool& pool) {
  const std::string path = dir + "/pool";
  auto pinned = try_read_file(path);
  if (pinned && trim(*pinned) == pool.str()) return;
  if (pinned && any_range_held(dir)) {
    throw Error(ErrorKind::kState, "vsrv.idmap: the id pool " + pool.str() +
                                       " differs from the pool " + trim(*pinned) +
                                       " that servers hold ranges of: delete them first");
  }
  write_file_atomic(path, pool.str() + "\n", 0600, false);
  ::unlink((dir + "/next").c_str());  // a cursor into another pool
}

// Makes the range's file at path for id; false when it exists. Written
// aside and linked into place (under the pool's lock), so it never exists
// without its holder's id, even when this process is killed halfway.
bool make_range_file(const std::string& dir, const std::string& path, const std::string& id) {
  const std::string what = "vsrv.idmap: hold the id range " + path;
  const std::string aside = dir + "/.new";
  {
    UniqueFd fd(::open(aside.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) throw SysError(what);
    const std::string text = id + "\n";
    write_all(fd.get(), text.data(), text.size());
  }
  int rc = ::link(aside.c_str(), path.c_str());
  int err = errno;
  ::unlink(aside.c_str());
  if (rc == 0) return true;
  if (err == EEXIST) return false;
  throw SysError(what, err);
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace

IdPool parse_id_pool(const std::string& text, const std::string& what) {
  auto colon = text.find(':');
  auto first = number(text.substr(0, colon));
  auto count = colon == std::string::npos ? std::nullopt : number(text.substr(colon + 1));
  if (!first || !count) throw Error(ErrorKind::kUsage, what + ": want FIRST:COUNT (host ids)");
  if (*first < kIdRangeSize) {
    throw Error(ErrorKind::kUsage, what +
                                       ": the first id must be 65536 or more "
                                       "(host users and system ids live below)");
  }
  if (*count < kIdRangeSize) throw Error(ErrorKind::kUsage, what + ": holds no range of 65536 ids");
  IdPool pool{static_cast<uint32_t>(*first), *count};
  if (*first > kLastId || *first + pool.ranges() * kIdRangeSize - 1 > kLastId)
    throw Error(ErrorKind::kUsage, what + ": goes past id 4294967294");
  return pool;
}

std::optional<IdPool> subid_root_entry(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto parts = split(trim(line), ':');
    if (parts.size() != 3 || (parts[0] != "root" && parts[0] != "0")) continue;
    auto first = number(parts[1]), count = number(parts[2]);
    if (first && count && *first <= kLastId) return IdPool{static_cast<uint32_t>(*first), *count};
  }
  return std::nullopt;
}

IdPool configured_id_pool(const GlobalOptions& g) {
  if (!g.idmap_pool.empty()) return parse_id_pool(g.idmap_pool, "--idmap-pool " + g.idmap_pool);
  auto uids = subid_root_entry(try_read_file("/etc/subuid").value_or(""));
  auto gids = subid_root_entry(try_read_file("/etc/subgid").value_or(""));
  if (!uids && !gids) return kDefaultIdPool;
  if (!uids || !gids || !(*uids == *gids)) {
    throw Error(ErrorKind::kUsage,
                "vsrv.idmap: root's entries in /etc/subuid (" + (uids ? uids->str() : "none") +
                    ") and /etc/subgid (" + (gids ? gids->str() : "none") +
                    ") differ: a server's uids and gids are mapped alike; make them equal or "
                    "give --idmap-pool");
  }
  return parse_id_pool(uids->str(), "root's range in /etc/subuid " + uids->str());
}

IdmapPool::IdmapPool(const std::string& data, IdPool pool)
    : data_(data), dir_(idmap_dir(data)), pool_(pool) {}

uint32_t IdmapPool::allocate(const std::string& id, const std::function<void(uint32_t)>& record) {
  make_dirs(dir_, 0700);
  UniqueFd lock = lock_pool(dir_);
  pin_pool(dir_, pool_);
  const std::string cursor = dir_ + "/next";
  const uint64_t ranges = pool_.ranges();
  uint64_t next = number(trim(try_read_file(cursor).value_or(""))).value_or(0);
  for (uint64_t i = 0; i < ranges; ++i) {
    const uint64_t range = (next + i) % ranges;
    const uint32_t base = pool_.base(range);
    const std::string path = dir_ + "/" + std::to_string(base);
    if (exists(path)) continue;
    record(base);
    if (!make_range_file(dir_, path, id)) continue;
    write_file_atomic(cursor, std::to_string((range + 1) % ranges) + "\n", 0600, false);
    return base;
  }
  throw Error(ErrorKind::kState, "vsrv.idmap: no free range of 65536 ids left in the pool " +
                                     pool_.str() + " (" + std::to_string(ranges) +
                                     " ranges, all held); delete a server or give a larger "
                                     "--idmap-pool");
}

void IdmapPool::claim(uint32_t base, const std::string& id) {
  make_dirs(dir_, 0700);
  UniqueFd lock = lock_pool(dir_);
  const std::string path = dir_ + "/" + std::to_string(base);
  for (;;) {
    if (auto holder = id_range_holder(data_, base)) {
      if (*holder == id) return;
      throw Error(ErrorKind::kState, "vsrv.idmap: the id range " + std::to_string(base) +
                                         " of server " + id + " is held by server " + *holder);
    }
    // Its file is gone (DATA/idmap removed by hand): it must still be a range of the pool.
    pin_pool(dir_, pool_);
    if (base < pool_.first || (base - pool_.first) % kIdRangeSize != 0 ||
        (base - pool_.first) / kIdRangeSize >= pool_.ranges()) {
      throw Error(ErrorKind::kState, "vsrv.idmap: the id range " + std::to_string(base) +
                                         " of server " + id + " is not one of the pool " +
                                         pool_.str());
    }
    if (make_range_file(dir_, path, id)) return;
  }
}

std::optional<std::string> id_range_holder(const std::string& data, uint32_t base) {
  auto text = try_read_file(range_path(data, base));
  if (!text) return std::nullopt;
  return trim(*text);
}

void release_id_range(const std::string& data, uint32_t base, const std::string& id) {
  // No lock needed: nobody else can take a range while its file exists.
  if (id_range_holder(data, base) == id) ::unlink(range_path(data, base).c_str());
}

}  // namespace vsrv::runtime
