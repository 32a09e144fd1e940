// mount_disk_image: loop device + detached ext4 mount, without losetup or mount(8).
#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vsrv/base/error.hpp"
#include "vsrv/rootfs/disk.hpp"
#include "vsrv/rootfs/mount_api.hpp"

namespace vsrv::rootfs {
namespace {

struct Loop {
  UniqueFd fd;
  std::string path;
};

// A free loop device bound to image. LOOP_CTL_GET_FREE and LOOP_CONFIGURE
// are two steps: another process may take the device in between (EBUSY),
// then the next free one is tried.
Loop attach_loop(int image, const std::string& what) {
  UniqueFd ctl(::open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (!ctl) throw SysError(what + ": open /dev/loop-control");
  for (int attempt = 0; attempt < 64; ++attempt) {
    int n = ::ioctl(ctl.get(), LOOP_CTL_GET_FREE);
    if (n < 0) throw SysError(what + ": find a free loop device");
    Loop loop{UniqueFd(), "/dev/loop" + std::to_string(n)};
    loop.fd.reset(::open(loop.path.c_str(), O_RDWR | O_CLOEXEC));
    if (!loop.fd) {
      if (errno == ENOENT) continue;  // removed meanwhile
      throw SysError(what + ": open " + loop.path);
    }
    struct loop_config cfg;
    std::memset(&cfg, 0, sizeof cfg);
    cfg.fd = static_cast<__u32>(image);
    cfg.block_size = 4096;
    // Autoclear: detached with the last reference. Direct I/O: the image's
    // pages are not cached twice (once by the host, once by the disk's ext4).
    cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO;
    if (::ioctl(loop.fd.get(), LOOP_CONFIGURE, &cfg) == 0) return loop;
    if (errno != EBUSY) throw SysError(what + ": attach " + loop.path);
  }
  throw Error(what + ": no free loop device after 64 attempts");
}

}  // namespace

UniqueFd mount_disk_image(const std::string& path) {
  const std::string what = "mount disk image " + path;
  UniqueFd image(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
  if (!image) throw SysError(what);
  Loop loop = attach_loop(image.get(), what);
  // Until the filesystem holds the device, our open fd does; closing it on
  // failure detaches the device (autoclear).
  return new_filesystem("ext4", loop.path, {{"discard", "", true}}, 0, what);
}

}  // namespace vsrv::rootfs
