#include "vsrv/rootfs/devices.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>

#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/rootfs/mount_api.hpp"
#include "vsrv/rootfs/safe_path.hpp"

namespace vsrv::rootfs {
namespace {

struct UmaskGuard {
  mode_t old = ::umask(0);
  ~UmaskGuard() { ::umask(old); }
};

mode_t file_type(const Device& d) {
  switch (d.type) {
    case 'b':
      return S_IFBLK;
    case 'p':
      return S_IFIFO;
    case 'c':
    case 'u':
      return S_IFCHR;
    default:
      throw Error(ErrorKind::kUsage,
                  "device " + d.path + ": unknown type '" + std::string(1, d.type) + "'");
  }
}

dev_t device_number(const Device& d) {
  if (d.type == 'p') return 0;
  return makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
}

// True when st is the node d describes.
bool is_device(const struct stat& st, const Device& d) {
  if ((st.st_mode & S_IFMT) != file_type(d)) return false;
  return d.type == 'p' || st.st_rdev == device_number(d);
}

// Binds the host's node at the same path onto an empty file made in dir.
void bind_host_node(int dir, const std::string& name, const Device& d, const std::string& what) {
  UniqueFd host = clone_tree(AT_FDCWD, d.path, false, what + ": bind the host's node");
  struct stat st;
  if (::fstat(host.get(), &st) < 0) throw SysError(what);
  if (!is_device(st, d)) throw Error(what + ": the host's " + d.path + " is not that device");
  int fd = ::openat(dir, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw SysError(what);
  ::close(fd);
  UniqueFd target(::openat(dir, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!target) throw SysError(what);
  attach(host.get(), target.get(), what);
}

void create_device(int root, const Device& d) {
  const std::string what = "device " + d.path;
  const std::string path = clean_path(d.path);
  const auto slash = path.rfind('/');
  if (path.empty() || slash == std::string::npos)
    throw Error(ErrorKind::kUsage, what + ": must be below /dev");
  const std::string name = path.substr(slash + 1);
  UniqueFd dir = make_in_root(root, path.substr(0, slash), NodeKind::kDirectory, what);

  const mode_t mode = file_type(d) | static_cast<mode_t>(d.file_mode.value_or(0666) & 0777);
  bool made = false;
  if (::mknodat(dir.get(), name.c_str(), mode, device_number(d)) == 0) {
    made = true;
  } else if (errno == EPERM && d.type != 'p') {
    return bind_host_node(dir.get(), name, d, what);
  } else if (errno != EEXIST) {
    throw SysError(what);
  }
  // What is there now, whoever made it, must be the device (never a symlink).
  UniqueFd node(::openat(dir.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!node) throw SysError(what);
  struct stat st;
  if (::fstat(node.get(), &st) < 0) throw SysError(what);
  if (!is_device(st, d)) throw Error(what + ": exists in the rootfs and is not that device");
  if (!made) return;  // the rootfs's own node (e.g. from tmpcopyup) is kept as it is
  if (::fchownat(node.get(), "", d.uid.value_or(0), d.gid.value_or(0), AT_EMPTY_PATH) < 0)
    throw SysError(what + ": chown");
}

}  // namespace

void create_devices(int root, const std::vector<Device>& devices) {
  UmaskGuard exact_modes;
  for (const auto& d : devices) create_device(root, d);
}

}  // namespace vsrv::rootfs
