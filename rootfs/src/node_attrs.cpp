#include "node_attrs.hpp"

#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "vsrv/base/error.hpp"

namespace vsrv::rootfs::detail {
namespace {

// The l*xattr calls take a path: reach the node through its parent's fd.
std::string fd_path(int dir, const std::string& name) {
  return "/proc/self/fd/" + std::to_string(dir) + "/" + name;
}

bool unsupported(int err) {
  return err == ENOTSUP || err == EOPNOTSUPP;
}

}  // namespace

void set_owner_mode(int dir, const std::string& name, uid_t uid, gid_t gid, mode_t mode,
                    bool symlink, const std::string& what) {
  if (::fchownat(dir, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
    throw SysError(what + ": chown " + name);
  }
  if (!symlink && ::fchmodat(dir, name.c_str(), mode & 07777, 0) < 0) {
    throw SysError(what + ": chmod " + name);
  }
}

void set_xattr(int dir, const std::string& name, const std::string& key, const void* value,
               size_t size, const std::string& what) {
  if (::lsetxattr(fd_path(dir, name).c_str(), key.c_str(), value, size, 0) < 0 &&
      !unsupported(errno)) {
    throw SysError(what + ": set " + key + " on " + name);
  }
}

void copy_xattrs(int src_dir, int dst_dir, const std::string& name, const std::string& what) {
  const std::string src = fd_path(src_dir, name);
  std::vector<char> keys(1024);
  ssize_t n;
  while ((n = ::llistxattr(src.c_str(), keys.data(), keys.size())) < 0 && errno == ERANGE) {
    keys.resize(keys.size() * 4);
  }
  if (n < 0) {
    if (unsupported(errno)) return;
    throw SysError(what + ": list xattrs of " + name);
  }
  std::vector<char> value(4096);
  for (ssize_t off = 0; off < n;) {
    std::string key(keys.data() + off);
    off += static_cast<ssize_t>(key.size()) + 1;
    ssize_t len;
    while ((len = ::lgetxattr(src.c_str(), key.c_str(), value.data(), value.size())) < 0 &&
           errno == ERANGE) {
      value.resize(value.size() * 4);
    }
    if (len < 0) {
      if (errno == ENODATA) continue;  // removed meanwhile
      throw SysError(what + ": get " + key + " of " + name);
    }
    set_xattr(dst_dir, name, key, value.data(), static_cast<size_t>(len), what);
  }
}

void set_times(int dir, const std::string& name, const struct timespec times[2],
               const std::string& what) {
  if (::utimensat(dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0) {
    throw SysError(what + ": set times of " + name);
  }
}

}  // namespace vsrv::rootfs::detail
