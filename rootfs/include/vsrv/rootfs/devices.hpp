// OCI linux.devices: device nodes and fifos created inside a server's root.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vsrv::rootfs {

struct Device {
  std::string path;  // absolute, below /dev
  char type = 'c';   // 'c' (or 'u', unbuffered: the same node), 'b', 'p' (fifo)
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> file_mode;  // permission bits; 0666 when not given
  std::optional<uint32_t> uid;        // owner; 0 when not given
  std::optional<uint32_t> gid;
};

// Creates each device below root (an fd of the server's root, before
// pivot_root): the parent directory is resolved (and made) inside the root,
// the node is made with mknodat on that directory fd, checked, and chowned
// by fd. Where mknod is not permitted (a user namespace), the host's node
// at the same path, checked to be that device, is bound instead. A node
// already there is kept when it is the same device, refused otherwise.
// Throws vsrv::Error naming the device.
void create_devices(int root, const std::vector<Device>& devices);

}  // namespace vsrv::rootfs
