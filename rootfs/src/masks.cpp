// Masked and read-only paths, applied after the root switch.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>

#include "vsrv/base/error.hpp"
#include "vsrv/rootfs/build_steps.hpp"
#include "vsrv/rootfs/mount_api.hpp"
#include "vsrv/rootfs/safe_path.hpp"

namespace vsrv::rootfs {
namespace {

// The target, or an invalid fd when the path does not exist (skipped).
UniqueFd open_target(int root, const std::string& path, const std::string& what) {
  UniqueFd fd = open_in_root(root, clean_path(path));
  if (!fd && errno != ENOENT) throw SysError(what);
  return fd;
}

// The server's /dev/null, opened without following anything and checked to
// really be the null device: binding a file the server controls over a
// masked path would unmask it (CVE-2025-31133).
UniqueFd open_verified_null(int root) {
  UniqueFd fd = open_in_root(root, "dev/null", O_NOFOLLOW);
  if (!fd) throw SysError("mask: open /dev/null");
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) throw SysError("mask: stat /dev/null");
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
    throw Error("mask: /dev/null is not the null device (1:3)");
  }
  return fd;
}

}  // namespace

void mask_paths(int root, const std::vector<std::string>& paths) {
  UniqueFd null_dev;
  UniqueFd empty_dir;  // the first read-only tmpfs, cloned for the other directories
  for (const auto& path : paths) {
    std::string what = "mask " + path;
    UniqueFd target = open_target(root, path, what);
    if (!target) continue;
    struct stat st;
    if (::fstat(target.get(), &st) < 0) throw SysError(what);
    if (S_ISDIR(st.st_mode)) {
      if (!empty_dir) {
        empty_dir = new_filesystem("tmpfs", "tmpfs", {}, MOUNT_ATTR_RDONLY, what);
        attach(empty_dir.get(), target.get(), what);
      } else {
        UniqueFd copy = clone_tree(empty_dir.get(), "", false, what);
        attach(copy.get(), target.get(), what);
      }
    } else {
      if (!null_dev) null_dev = open_verified_null(root);
      UniqueFd copy = clone_tree(null_dev.get(), "", false, what);
      attach(copy.get(), target.get(), what);
    }
  }
}

void readonly_paths(int root, const std::vector<std::string>& paths) {
  for (const auto& path : paths) {
    std::string what = "read-only " + path;
    UniqueFd target = open_target(root, path, what);
    if (!target) continue;
    UniqueFd copy = clone_tree(target.get(), "", true, what);
    if (set_attrs(copy.get(), MOUNT_ATTR_RDONLY, 0, 0, true) < 0) throw SysError(what);
    attach(copy.get(), target.get(), what);
  }
}

}  // namespace vsrv::rootfs
