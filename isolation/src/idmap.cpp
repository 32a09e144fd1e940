// uid_map / gid_map of a child in a new user namespace.
#include <string>

#include "vsrv/base/file.hpp"
#include "vsrv/isolation/namespaces.hpp"

namespace vsrv::isolation {

namespace {

// The kernel requires the whole map in a single write(2).
void write_map(pid_t pid, const char* file, const std::vector<IdMap>& maps) {
  if (maps.empty()) return;
  std::string data;
  for (const auto& m : maps) {
    data += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
            std::to_string(m.size) + "\n";
  }
  write_file("/proc/" + std::to_string(pid) + "/" + file, data);
}

}  // namespace

uint32_t host_id(const std::vector<IdMap>& maps, uint32_t id) {
  for (const auto& m : maps) {
    if (id >= m.container_id && id - m.container_id < m.size)
      return m.host_id + (id - m.container_id);
  }
  return id;
}

void write_id_maps(pid_t pid, const std::vector<IdMap>& uid_maps,
                   const std::vector<IdMap>& gid_maps) {
  write_map(pid, "uid_map", uid_maps);
  write_map(pid, "gid_map", gid_maps);
}

}  // namespace vsrv::isolation
