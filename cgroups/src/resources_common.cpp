#include "resources_common.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "vsrv/base/error.hpp"

namespace vsrv::cgroups::detail {

DeviceState device_state_or_throw(const std::vector<DeviceRule>& rules) {
  try {
    return device_state(rules);
  } catch (const Error& e) {
    throw Error(ErrorKind::kUsage, kDevicesField + ": " + e.what());
  }
}

std::string device_number(uint32_t major, uint32_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

std::vector<ThrottleList> throttle_lists(const BlockIoResources& b) {
  return {
      {&b.read_bps, "throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps"},
      {&b.write_bps, "throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps"},
      {&b.read_iops, "throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops"},
      {&b.write_iops, "throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops"},
  };
}

namespace {

void check_block_device(uint32_t major, uint32_t minor, const std::string& field) {
  const std::string sys = "/sys/dev/block/" + device_number(major, minor);
  if (::access(sys.c_str(), F_OK) != 0)
    throw Error(field + ": no block device " + device_number(major, minor) + " on this host");
  if (::access((sys + "/partition").c_str(), F_OK) == 0)
    throw Error(field + ": " + device_number(major, minor) +
                " is a partition; I/O limits apply to whole disks");
}

// The sizes of /sys/kernel/mm/hugepages/hugepages-NkB as the kernel's cgroup
// files name them (2048 kB -> 2MB).
std::vector<std::string> host_hugepage_sizes() {
  std::vector<std::string> out;
  DIR* d = ::opendir("/sys/kernel/mm/hugepages");
  if (!d) return out;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    const std::string prefix = "hugepages-";
    if (name.rfind(prefix, 0) != 0 || name.size() < prefix.size() + 3) continue;
    uint64_t kb = std::strtoull(name.c_str() + prefix.size(), nullptr, 10);
    if (kb == 0) continue;
    if (kb % (1024 * 1024) == 0)
      out.push_back(std::to_string(kb / (1024 * 1024)) + "GB");
    else if (kb % 1024 == 0)
      out.push_back(std::to_string(kb / 1024) + "MB");
    else
      out.push_back(std::to_string(kb) + "KB");
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

void check_block_devices(const BlockIoResources& b) {
  for (size_t i = 0; i < b.weight_devices.size(); ++i)
    check_block_device(b.weight_devices[i].major, b.weight_devices[i].minor,
                       kBlockIoField + "weightDevice[" + std::to_string(i) + "]");
  for (const ThrottleList& t : throttle_lists(b))
    for (size_t i = 0; i < t.devices->size(); ++i)
      check_block_device((*t.devices)[i].major, (*t.devices)[i].minor,
                         kBlockIoField + t.field + "[" + std::to_string(i) + "]");
}

std::string hugepage_field(size_t index) {
  return "linux.resources.hugepageLimits[" + std::to_string(index) + "]";
}

void check_hugepage_sizes(const std::vector<HugepageLimit>& limits) {
  if (limits.empty()) return;
  std::vector<std::string> sizes = host_hugepage_sizes();
  for (size_t i = 0; i < limits.size(); ++i) {
    if (std::find(sizes.begin(), sizes.end(), limits[i].page_size) != sizes.end()) continue;
    std::string have;
    for (const std::string& s : sizes) have += (have.empty() ? "" : ", ") + s;
    throw Error(hugepage_field(i) + ".pageSize: this host has no " + limits[i].page_size +
                " huge pages (" + (have.empty() ? "it has none" : "it has " + have) + ")");
  }
}

std::string rdma_line(const std::string& device, const RdmaLimit& limit) {
  std::string line;
  if (limit.hca_handles) line += " hca_handle=" + std::to_string(*limit.hca_handles);
  if (limit.hca_objects) line += " hca_object=" + std::to_string(*limit.hca_objects);
  return line.empty() ? line : device + line;
}

}  // namespace vsrv::cgroups::detail
