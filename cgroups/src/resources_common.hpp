// Checks and formats shared by both backends for devices, blockIO,
// hugepageLimits and rdma (private).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vsrv/cgroups/cgroup.hpp"

namespace vsrv::cgroups::detail {

inline const std::string kDevicesField = "linux.resources.devices";
inline const std::string kBlockIoField = "linux.resources.blockIO.";

// The state the rules leave; a rule the device cgroup cannot express is an
// Error naming linux.resources.devices.
DeviceState device_state_or_throw(const std::vector<DeviceRule>& rules);

// "MAJ:MIN"
std::string device_number(uint32_t major, uint32_t minor);

// A throttle list with the name of its OCI field and its v1 / v2 names.
struct ThrottleList {
  const std::vector<ThrottleDevice>* devices;
  const char* field;    // e.g. throttleReadBpsDevice
  const char* v1_file;  // e.g. blkio.throttle.read_bps_device
  const char* v2_key;   // e.g. rbps (io.max)
};
std::vector<ThrottleList> throttle_lists(const BlockIoResources& b);

// Every device blockIO names is a whole block device of this host; else an
// Error naming the field ("...throttleReadBpsDevice[0]: no block device 7:99
// on this host").
void check_block_devices(const BlockIoResources& b);

// Every page size is one the host has (/sys/kernel/mm/hugepages); else an
// Error naming linux.resources.hugepageLimits[i].pageSize and the sizes there are.
void check_hugepage_sizes(const std::vector<HugepageLimit>& limits);
std::string hugepage_field(size_t index);

// A line of rdma.max ("mlx5_0 hca_handle=3 hca_object=100"); empty when the
// limit sets nothing.
std::string rdma_line(const std::string& device, const RdmaLimit& limit);

}  // namespace vsrv::cgroups::detail
