#include "vsrv/rootfs/idmapped_overlay.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "vsrv/base/error.hpp"
#include "vsrv/base/fd_passing.hpp"
#include "vsrv/rootfs/build_steps.hpp"
#include "vsrv/rootfs/mount_api.hpp"

namespace vsrv::rootfs {
namespace {

std::string fs_name(const std::string& dir) {
  struct statfs fs;
  if (::statfs(dir.c_str(), &fs) < 0) return "unknown";
  switch (fs.f_type) {
    case TMPFS_MAGIC:
      return "tmpfs";
    case EXT4_SUPER_MAGIC:
      return "ext4";
    case XFS_SUPER_MAGIC:
      return "xfs";
    case BTRFS_SUPER_MAGIC:
      return "btrfs";
    case OVERLAYFS_SUPER_MAGIC:
      return "overlayfs";
    default: {
      char hex[32];
      std::snprintf(hex, sizeof hex, "0x%lx", static_cast<unsigned long>(fs.f_type));
      return std::string("type ") + hex;
    }
  }
}

// dir, idmapped through userns_fd, attached over itself (in the private
// mount namespace of the helper).
void idmap_over_itself(const std::string& dir, int userns_fd) {
  const std::string what = "vsrv.idmap: idmapped mount of the template " + dir;
  UniqueFd tree = clone_tree(AT_FDCWD, dir, false, what);
  struct mount_attr attr = {};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns_fd);
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
    if (errno == EINVAL) {
      throw SysError(what + " (its filesystem, " + fs_name(dir) +
                     ", may not support idmapped mounts on this kernel)");
    }
    throw SysError(what);
  }
  UniqueFd place(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!place) throw SysError(what);
  attach(tree.get(), place.get(), what);
}

[[noreturn]] void helper(const Overlay& o, int userns_fd, int sock, pid_t parent) {
  // A vsrv killed meanwhile takes its helper with it.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || ::getppid() != parent) ::_exit(1);
  try {
    if (::unshare(CLONE_NEWNS) < 0) throw SysError("vsrv.idmap: private mount namespace");
    // Nothing made here may propagate to the host.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
      throw SysError("vsrv.idmap: private mount namespace");
    attach_disk(o);
    for (const auto& dir : o.lower) idmap_over_itself(dir, userns_fd);
    UniqueFd overlay = new_overlay(o, "vsrv.idmap: mount the overlay over " + o.lower.front());
    send_message(sock, "O", overlay.get());
  } catch (const std::exception& e) {
    try {
      send_message(sock, std::string("E") + e.what());
    } catch (...) {
    }
  }
  ::_exit(0);
}

}  // namespace

UniqueFd idmapped_overlay(const Overlay& o, int userns_fd) {
  if (o.lower.empty()) throw Error(ErrorKind::kUsage, "rootfs overlay: no lower directory");
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    throw SysError("vsrv.idmap: socketpair");
  UniqueFd ours(sv[0]), theirs(sv[1]);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw SysError("vsrv.idmap: fork");
  if (pid == 0) {
    ours.reset();
    helper(o, userns_fd, theirs.get(), parent);
  }
  theirs.reset();
  Message m;
  try {
    m = recv_message(ours.get());
  } catch (...) {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    throw;
  }
  // ECHILD: reaped by a SIGCHLD handler of the caller's; its message tells.
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (!m.data.empty() && m.data[0] == 'O' && m.fd) return std::move(m.fd);
  if (!m.data.empty() && m.data[0] == 'E') throw Error(m.data.substr(1));
  throw Error("vsrv.idmap: the overlay helper exited without a result");
}

}  // namespace vsrv::rootfs
