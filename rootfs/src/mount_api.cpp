#include "vsrv/rootfs/mount_api.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>

#include "vsrv/base/error.hpp"

namespace vsrv::rootfs {
namespace {

// The last error line the filesystem logged on its fs_context fd, if any
// ("e tmpfs: Bad value for 'size'" -> "tmpfs: Bad value for 'size'").
std::string kernel_message(int fs_fd) {
  std::string last;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(fs_fd, buf, sizeof(buf) - 1);
    if (n <= 0) break;
    std::string line(buf, static_cast<size_t>(n));
    while (!line.empty() && line.back() == '\n') line.pop_back();
    if (line.size() > 2 && line[1] == ' ' && line[0] == 'e') last = line.substr(2);
  }
  return last;
}

[[noreturn]] void fail(int fs_fd, const std::string& what) {
  int err = errno;
  std::string msg = kernel_message(fs_fd);
  throw SysError(msg.empty() ? what : what + ": " + msg, err);
}

}  // namespace

UniqueFd new_filesystem(const std::string& type, const std::string& source,
                        const std::vector<MountOptions::Param>& params, uint64_t attrs,
                        const std::string& what) {
  UniqueFd fs(::fsopen(type.c_str(), FSOPEN_CLOEXEC));
  if (!fs) throw SysError(what);
  if (!source.empty() &&
      ::fsconfig(fs.get(), FSCONFIG_SET_STRING, "source", source.c_str(), 0) < 0) {
    fail(fs.get(), what);
  }
  for (const auto& p : params) {
    int rc = p.flag ? ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, p.key.c_str(), nullptr, 0)
                    : ::fsconfig(fs.get(), FSCONFIG_SET_STRING, p.key.c_str(), p.value.c_str(), 0);
    if (rc < 0) fail(fs.get(), what);
  }
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) fail(fs.get(), what);
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, static_cast<unsigned>(attrs)));
  if (!mnt) fail(fs.get(), what);
  return mnt;
}

UniqueFd clone_tree(int dfd, const std::string& path, bool recursive, const std::string& what) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
  if (recursive) flags |= AT_RECURSIVE;
  if (path.empty()) flags |= AT_EMPTY_PATH;
  UniqueFd tree(::open_tree(dfd, path.c_str(), flags));
  if (!tree) throw SysError(what);
  return tree;
}

int set_attrs(int fd, uint64_t set, uint64_t clr, uint64_t propagation, bool recursive) {
  if (set == 0 && clr == 0 && propagation == 0) return 0;
  struct mount_attr attr = {};
  attr.attr_set = set;
  attr.attr_clr = clr;
  attr.propagation = propagation;
  unsigned flags = AT_EMPTY_PATH;
  if (recursive) flags |= AT_RECURSIVE;
  return ::mount_setattr(fd, "", flags, &attr, sizeof(attr));
}

void attach(int mount_fd, int target_fd, const std::string& what) {
  if (::move_mount(mount_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
      0) {
    throw SysError(what);
  }
}

}  // namespace vsrv::rootfs
