// Switching the process's root to the built tree.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "vsrv/base/error.hpp"
#include "vsrv/rootfs/build_steps.hpp"

namespace vsrv::rootfs {
namespace {

// MS_MOVE the tree onto "/" and chroot into it: for no_pivot, and for roots
// pivot_root cannot leave (initramfs).
void move_and_chroot() {
  if (::mount(".", "/", nullptr, MS_MOVE, nullptr) < 0) throw SysError("move rootfs onto /");
  if (::chroot(".") < 0) throw SysError("chroot into rootfs");
  if (::chdir("/") < 0) throw SysError("chdir /");
}

}  // namespace

void enter_root(int root, bool no_pivot) {
  if (::fchdir(root) < 0) throw SysError("chdir into rootfs");
  if (no_pivot) return move_and_chroot();
  // pivot_root(".", "."): the old root ends up stacked on the new one and is
  // detached right away; no put_old directory inside the rootfs is needed.
  if (::syscall(SYS_pivot_root, ".", ".") < 0) {
    if (errno == EINVAL) return move_and_chroot();
    throw SysError("pivot_root");
  }
  if (::umount2(".", MNT_DETACH) < 0) throw SysError("detach the old root");
  if (::chdir("/") < 0) throw SysError("chdir /");
}

}  // namespace vsrv::rootfs
