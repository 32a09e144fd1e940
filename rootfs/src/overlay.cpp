// The overlay of a template server and the server's own disk below it.
#include <fcntl.h>
#include <sys/mount.h>

#include <cerrno>

#include "vsrv/base/error.hpp"
#include "vsrv/rootfs/build_steps.hpp"
#include "vsrv/rootfs/mount_api.hpp"

namespace vsrv::rootfs {
namespace {

std::string escape_lowerdir(const std::string& dir) {
  std::string out;
  for (char c : dir) {
    if (c == ':' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

void attach_disk(const Overlay& o) {
  if (o.disk_fd < 0) return;
  std::string what = "mount the server's disk on " + o.disk_dir;
  UniqueFd place(::open(o.disk_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!place) throw SysError(what);
  // A copy is attached, so the given mount stays detached and can serve
  // the next start of the server (a reboot). Kernels before 6.15 cannot
  // copy a detached mount: the mount itself is attached then.
  UniqueFd copy(::open_tree(o.disk_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH));
  if (!copy && errno != EINVAL) throw SysError(what);
  attach(copy ? copy.get() : o.disk_fd, place.get(), what);
}

UniqueFd new_overlay(const Overlay& o, const std::string& what) {
  if (o.lower.empty()) throw Error(ErrorKind::kUsage, "rootfs overlay: no lower directory");
  std::string lower;
  for (const auto& dir : o.lower) lower += (lower.empty() ? "" : ":") + escape_lowerdir(dir);
  std::vector<MountOptions::Param> params{{"lowerdir", lower}};
  if (!o.upper.empty()) {
    params.push_back({"upperdir", o.upper});
    params.push_back({"workdir", o.work});
  }
  return new_filesystem("overlay", "overlay", params, 0, what);
}

}  // namespace vsrv::rootfs
