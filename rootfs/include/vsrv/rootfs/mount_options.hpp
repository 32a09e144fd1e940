// OCI mount options translated to what the new mount API wants.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace vsrv::rootfs {

// The parsed options of one mount. Flag options become mount attributes
// (MOUNT_ATTR_*) set or cleared on the new mount; superblock flags (sync,
// dirsync, lazytime, mand) and data options ("key=value", or the bare words
// in kBareDataOptions) are handed to the filesystem with fsconfig(2).
struct MountOptions {
  uint64_t attr_set = 0;      // MOUNT_ATTR_* on the mount itself
  uint64_t attr_clr = 0;      // MOUNT_ATTR_* explicitly cleared (rw, suid, ...)
  uint64_t rec_attr_set = 0;  // rro, rnosuid, ...: applied to every submount
  uint64_t propagation = 0;   // MS_PRIVATE / MS_SHARED / MS_SLAVE / MS_UNBINDABLE or 0
  bool propagation_recursive = false;
  bool bind = false;       // "bind" or "rbind"
  bool recursive = false;  // "rbind"
  bool remount = false;    // change the flags of the mount already at the destination
  bool tmpcopyup = false;  // tmpfs: copy the directory's old contents into it
  // fsconfig parameters in order: {key, value}; an empty value with
  // flag=true means FSCONFIG_SET_FLAG.
  struct Param {
    std::string key;
    std::string value;
    bool flag = false;
  };
  std::vector<Param> params;
};

// Parses OCI options; throws vsrv::Error(kUsage) naming an unknown option.
MountOptions parse_mount_options(const std::vector<std::string>& options);

}  // namespace vsrv::rootfs
