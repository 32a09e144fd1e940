// A minimal /dev: the OCI default devices and links.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>

#include "vsrv/base/error.hpp"
#include "vsrv/rootfs/build_steps.hpp"
#include "vsrv/rootfs/mount_api.hpp"

namespace vsrv::rootfs {
namespace {

struct Node {
  const char* name;
  unsigned major;
  unsigned minor;
};
constexpr Node kNodes[] = {{"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
                           {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};

struct Link {
  const char* name;
  const char* target;
};
constexpr Link kLinks[] = {{"fd", "/proc/self/fd"},
                           {"stdin", "/proc/self/fd/0"},
                           {"stdout", "/proc/self/fd/1"},
                           {"stderr", "/proc/self/fd/2"},
                           {"ptmx", "pts/ptmx"}};

struct UmaskGuard {
  mode_t old = ::umask(0);
  ~UmaskGuard() { ::umask(old); }
};

// Where mknod is refused (SB_I_NODEV in a user namespace), bind the host's
// node, checked to be the device we expect, onto an empty file.
void bind_host_node(int dev, const Node& node) {
  std::string what = std::string("bind /dev/") + node.name + " from the host";
  int fd = ::openat(dev, node.name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) throw SysError(what);
  ::close(fd);
  UniqueFd host = clone_tree(AT_FDCWD, std::string("/dev/") + node.name, false, what);
  struct stat st;
  if (::fstat(host.get(), &st) < 0) throw SysError(what);
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(node.major, node.minor)) {
    throw Error(what + ": not the expected character device");
  }
  UniqueFd target(::openat(dev, node.name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!target) throw SysError(what);
  attach(host.get(), target.get(), what);
}

}  // namespace

void populate_dev(int dev) {
  UmaskGuard no_umask;  // nodes are 0666 and directories 0755 exactly
  bool can_mknod = true;
  for (const auto& node : kNodes) {
    if (can_mknod) {
      if (::mknodat(dev, node.name, S_IFCHR | 0666, makedev(node.major, node.minor)) == 0) continue;
      if (errno == EEXIST) continue;  // tmpcopyup brought it along
      if (errno != EPERM) throw SysError(std::string("mknod /dev/") + node.name);
      can_mknod = false;
    }
    bind_host_node(dev, node);
  }
  for (const char* dir : {"pts", "shm"}) {
    if (::mkdirat(dev, dir, 0755) < 0 && errno != EEXIST) {
      throw SysError(std::string("mkdir /dev/") + dir);
    }
  }
  for (const auto& link : kLinks) {
    if (::symlinkat(link.target, dev, link.name) < 0 && errno != EEXIST) {
      throw SysError(std::string("symlink /dev/") + link.name);
    }
  }
}

}  // namespace vsrv::rootfs
