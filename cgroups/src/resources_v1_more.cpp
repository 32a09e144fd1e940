// OCI linux.resources devices, blockIO, hugepageLimits, network and rdma ->
// cgroup v1 files (the devices, blkio, hugetlb, net_cls, net_prio and rdma
// hierarchies).
#include <fcntl.h>
#include <unistd.h>

#include "cgfs.hpp"
#include "device_bpf.hpp"
#include "resources_common.hpp"
#include "v1.hpp"
#include "vsrv/base/error.hpp"

namespace vsrv::cgroups::detail {

namespace {

// The first of files that exists in dir, or empty.
std::string first_existing(const std::string& dir, std::initializer_list<const char*> files) {
  for (const char* f : files)
    if (::access(join(dir, f).c_str(), F_OK) == 0) return f;
  return "";
}

}  // namespace

void V1Cgroup::apply_devices(const std::vector<DeviceRule>& rules) {
  DeviceState target = device_state_or_throw(rules);
  const std::string* dir = find("devices");
  if (!dir) {
    // No v1 devices hierarchy: the hybrid cgroup2 directory takes a BPF
    // program as well (every process of the server is in it too).
    if (!unified_)
      throw Error(kDevicesField + ": no cgroup v1 devices hierarchy is mounted under " +
                  "/sys/fs/cgroup, and no cgroup2 directory to attach a BPF program to");
    UniqueFd fd(::open(unified_->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw SysError(kDevicesField + ": open " + *unified_);
    return replace_device_program(fd.get(), target, kDevicesField);
  }
  auto read_list = [&] {
    auto text = read_opt(join(*dir, "devices.list"));
    if (!text) throw Error(kDevicesField + ": devices.list is missing in " + *dir);
    return parse_devices_list(*text);
  };
  for (const auto& [allow, line] : device_transition(read_list(), target))
    write_limit(*dir, allow ? "devices.allow" : "devices.deny", line, kDevicesField);
  // The kernel keeps what it was told, or says no; check it all the same
  // (devices.list shows the exceptions of a deny-default cgroup only).
  ListedDevices now = read_list();
  if (!target.default_allow && (now.exceptions_unknown || !(now.state == target)))
    throw Error(kDevicesField + ": " + *dir + "/devices.list does not hold the rules written");
}

void V1Cgroup::apply_block_io(const BlockIoResources& b) {
  if (b.empty()) return;
  check_block_devices(b);
  const std::string& dir = need("blkio", kBlockIoField.substr(0, kBlockIoField.size() - 1));
  // blkio.weight (CFQ, before Linux 5.0) or blkio.bfq.weight (BFQ).
  std::string weight_file = first_existing(dir, {"blkio.weight", "blkio.bfq.weight"});
  auto need_weight_file = [&](const std::string& field) {
    if (weight_file.empty())
      throw Error(field + ": neither blkio.weight nor blkio.bfq.weight exists in " + dir +
                  " (no proportional-weight I/O scheduler: load bfq and select it for the disk)");
  };
  if (b.weight && *b.weight != 0) {
    need_weight_file(kBlockIoField + "weight");
    write_limit(dir, weight_file, std::to_string(*b.weight), kBlockIoField + "weight");
  }
  if (b.leaf_weight && *b.leaf_weight != 0)
    write_limit(dir, "blkio.leaf_weight", std::to_string(*b.leaf_weight),
                kBlockIoField + "leafWeight", "leaf weights were CFQ's, gone since Linux 5.0");
  for (size_t i = 0; i < b.weight_devices.size(); ++i) {
    const WeightDevice& d = b.weight_devices[i];
    const std::string field = kBlockIoField + "weightDevice[" + std::to_string(i) + "]";
    const std::string dev = device_number(d.major, d.minor);
    if (d.weight && *d.weight != 0) {
      need_weight_file(field + ".weight");
      write_limit(dir, weight_file + "_device", dev + " " + std::to_string(*d.weight),
                  field + ".weight");
    }
    if (d.leaf_weight && *d.leaf_weight != 0)
      write_limit(dir, "blkio.leaf_weight_device", dev + " " + std::to_string(*d.leaf_weight),
                  field + ".leafWeight", "leaf weights were CFQ's, gone since Linux 5.0");
  }
  for (const ThrottleList& t : throttle_lists(b))
    for (size_t i = 0; i < t.devices->size(); ++i) {
      const ThrottleDevice& d = (*t.devices)[i];
      write_limit(dir, t.v1_file, device_number(d.major, d.minor) + " " + std::to_string(d.rate),
                  kBlockIoField + t.field + "[" + std::to_string(i) + "]");
    }
}

void V1Cgroup::apply_hugepages_network_rdma(const Resources& r) {
  check_hugepage_sizes(r.hugepage_limits);
  for (size_t i = 0; i < r.hugepage_limits.size(); ++i) {
    const HugepageLimit& h = r.hugepage_limits[i];
    const std::string field = hugepage_field(i) + ".limit";
    const std::string& dir = need("hugetlb", field);
    const std::string prefix = "hugetlb." + h.page_size + ".";
    const std::string value = std::to_string(h.limit < 0 ? -1 : h.limit);
    write_limit(dir, prefix + "limit_in_bytes", value, field);
    // Reservations too (Linux 5.7+), so that mmap fails rather than a fault.
    if (::access(join(dir, prefix + "rsvd.limit_in_bytes").c_str(), F_OK) == 0)
      write_limit(dir, prefix + "rsvd.limit_in_bytes", value, field);
  }
  const std::string net = "linux.resources.network.";
  if (r.network.class_id)
    write_limit(need("net_cls", net + "classID"), "net_cls.classid",
                std::to_string(*r.network.class_id), net + "classID");
  for (size_t i = 0; i < r.network.priorities.size(); ++i) {
    const std::string field = net + "priorities[" + std::to_string(i) + "]";
    const auto& [name, prio] = r.network.priorities[i];
    write_limit(need("net_prio", field), "net_prio.ifpriomap", name + " " + std::to_string(prio),
                field);
  }
  for (const auto& [device, limit] : r.rdma) {
    std::string line = rdma_line(device, limit);
    if (line.empty()) continue;
    const std::string field = "linux.resources.rdma." + device;
    write_limit(need("rdma", field), "rdma.max", line, field);
  }
}

}  // namespace vsrv::cgroups::detail
