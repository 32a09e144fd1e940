// A server's own disk (vsrv.disk): DATA/servers/ID/disk.img, an ext4 image
// mounted detached (rootfs/disk.hpp), holding the overlay's upper/ and work/.
// The mount is attached only inside the server's mount namespace, so the
// host's mount table never grows with servers; the loop device goes away
// with the last reference to the filesystem.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vsrv/base/fd.hpp"

namespace vsrv::runtime {

std::string disk_image_path(const std::string& data_dir);

// Creates the image when missing (a re-created server keeps its disk and
// its size: a changed size is a warning), mounts it, makes upper/ and work/.
// Returns the detached mount.
UniqueFd open_server_disk(const std::string& data_dir, uint64_t bytes,
                          std::vector<std::string>& warnings);

}  // namespace vsrv::runtime
