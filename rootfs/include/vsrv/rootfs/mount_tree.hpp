// The mount tree of a server, built inside the server's own mount namespace.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "vsrv/rootfs/devices.hpp"

namespace vsrv::rootfs {

// One OCI mount.
struct Mount {
  std::string destination;  // absolute path inside the rootfs
  std::string type;         // "bind", "proc", "tmpfs", "sysfs", "devpts", "mqueue", "cgroup", ...
  std::string source;
  std::vector<std::string> options;  // "ro", "nosuid", "rbind", "mode=755", ...
};

// An overlay mounted onto Plan::rootfs before anything else.
struct Overlay {
  Overlay() = default;
  Overlay(std::vector<std::string> lower_dirs, std::string upper_dir, std::string work_dir,
          int disk = -1, std::string disk_at = {})
      : lower(std::move(lower_dirs)),
        upper(std::move(upper_dir)),
        work(std::move(work_dir)),
        disk_fd(disk),
        disk_dir(std::move(disk_at)) {}

  std::vector<std::string> lower;  // read-only lower dirs, top first
  std::string upper;
  std::string work;
  // The server's own disk (disk.hpp): a detached mount, a copy of which is
  // attached onto disk_dir in the server's mount namespace only, before the
  // overlay is made; upper and work lie below disk_dir. -1: none.
  int disk_fd = -1;
  std::string disk_dir;
};

struct Plan {
  std::string rootfs;            // host path of the root directory (absolute)
  std::vector<Overlay> overlay;  // zero or one
  bool readonly = false;         // root.readonly
  std::string propagation;       // linux.rootfsPropagation; "" means rprivate
  std::vector<Mount> mounts;     // OCI mounts, in order
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  bool no_pivot = false;        // chroot instead of pivot_root
  std::vector<Device> devices;  // linux.devices, made after the mounts
  // From the runtime when the init cannot look rootfs up itself (in a user
  // namespace, DATA/servers/ID is not its to enter): rootfs opened (O_PATH)
  // in the init's own mount namespace, and the root mount made for it
  // (idmapped_overlay.hpp), attached there instead of the overlay. -1: none.
  int rootfs_fd = -1;
  int root_mount_fd = -1;
  // Called once every mount is made, just before the root is entered (the
  // runtime's OCI hooks run there); may throw to stop the build.
  std::function<void()> before_pivot;
};

// Runs in the child after it entered its new mount namespace (as root of
// that namespace). Makes the host tree private (never propagating back),
// mounts the overlay, binds the rootfs onto itself, performs every mount
// with destinations resolved inside the rootfs (no symlink leads out), fills
// /dev when it is a tmpfs (null zero full random urandom tty, ptmx, fd links,
// pts, shm), masks and read-only paths, pivot_root (or chroot when pivot_root
// is impossible or no_pivot), root read-only when asked. Leaves cwd at "/".
// Throws vsrv::Error naming the mount that failed.
void build(const Plan& plan);

// Default OCI mounts: /proc, /dev (tmpfs), /dev/pts, /dev/shm, /dev/mqueue, /sys (ro).
std::vector<Mount> default_mounts();
std::vector<std::string> default_masked_paths();
std::vector<std::string> default_readonly_paths();

// Mount option names understood by build() (for spec validation).
bool mount_option_known(const std::string& option);

}  // namespace vsrv::rootfs
