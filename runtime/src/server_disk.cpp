#include "server_disk.hpp"

#include <sys/stat.h>

#include <cerrno>

#include "vsrv/base/error.hpp"
#include "vsrv/rootfs/disk.hpp"

namespace vsrv::runtime {

std::string disk_image_path(const std::string& data_dir) {
  return data_dir + "/disk.img";
}

UniqueFd open_server_disk(const std::string& data_dir, uint64_t bytes,
                          std::vector<std::string>& warnings) {
  const std::string image = disk_image_path(data_dir);
  struct stat st;
  if (::stat(image.c_str(), &st) == 0) {
    uint64_t have = static_cast<uint64_t>(st.st_size);
    if (have / 4096 != bytes / 4096) {
      warnings.push_back("vsrv.disk: the server's disk keeps its size of " + std::to_string(have) +
                         " bytes (asked: " + std::to_string(bytes) + ")");
    }
  } else if (errno == ENOENT) {
    rootfs::create_disk_image(image, bytes);
  } else {
    throw SysError("stat " + image);
  }
  UniqueFd disk = rootfs::mount_disk_image(image);
  for (const char* d : {"upper", "work"}) {
    if (::mkdirat(disk.get(), d, 0755) < 0 && errno != EEXIST) {
      throw SysError(std::string("make ") + d + " on the server's disk");
    }
  }
  return disk;
}

}  // namespace vsrv::runtime
