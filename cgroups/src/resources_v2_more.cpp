// OCI linux.resources blockIO, hugepageLimits and rdma -> cgroup v2 files
// (io, hugetlb and rdma controllers). Devices are a BPF program
// (device_bpf.cpp); network has no v2 controller (an error in apply()).
#include <unistd.h>

#include "cgfs.hpp"
#include "resources_common.hpp"
#include "v2.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/cgroups/parse.hpp"

namespace vsrv::cgroups::detail {

void refuse_leaf_weights(const BlockIoResources& b) {
  if (b.leaf_weight && *b.leaf_weight != 0)
    throw Error(kBlockIoField + "leafWeight: cgroup v2 has no leaf weights");
  for (size_t i = 0; i < b.weight_devices.size(); ++i)
    if (b.weight_devices[i].leaf_weight && *b.weight_devices[i].leaf_weight != 0)
      throw Error(kBlockIoField + "weightDevice[" + std::to_string(i) +
                  "].leafWeight: cgroup v2 has no leaf weights");
}

void V2Cgroup::apply_block_io(const BlockIoResources& b) {
  if (b.empty()) return;
  refuse_leaf_weights(b);
  check_block_devices(b);
  enable("io", kBlockIoField.substr(0, kBlockIoField.size() - 1));
  // io.bfq.weight (BFQ) takes OCI's weights as they are; io.weight (the
  // iocost controller) has a range of 1-10000.
  const bool bfq = ::access(join(dir_, "io.bfq.weight").c_str(), F_OK) == 0;
  const std::string weight_file = bfq ? "io.bfq.weight" : "io.weight";
  auto weight = [&](uint16_t w) { return std::to_string(bfq ? w : blkio_weight_to_io_weight(w)); };
  const std::string missing = "neither io.weight nor io.bfq.weight: no weight-based I/O control";
  if (b.weight && *b.weight != 0)
    write_limit(dir_, weight_file, weight(*b.weight), kBlockIoField + "weight", missing);
  for (size_t i = 0; i < b.weight_devices.size(); ++i) {
    const WeightDevice& d = b.weight_devices[i];
    if (d.weight && *d.weight != 0)
      write_limit(dir_, weight_file, device_number(d.major, d.minor) + " " + weight(*d.weight),
                  kBlockIoField + "weightDevice[" + std::to_string(i) + "].weight", missing);
  }
  for (const ThrottleList& t : throttle_lists(b))
    for (size_t i = 0; i < t.devices->size(); ++i) {
      const ThrottleDevice& d = (*t.devices)[i];
      // io.max: one key per write, the others are kept; 0 (no limit) is "max".
      write_limit(dir_, "io.max",
                  device_number(d.major, d.minor) + " " + t.v2_key + "=" +
                      (d.rate == 0 ? "max" : std::to_string(d.rate)),
                  kBlockIoField + t.field + "[" + std::to_string(i) + "]",
                  "the kernel has no I/O throttling");
    }
}

void V2Cgroup::apply_hugepages_rdma(const Resources& r) {
  check_hugepage_sizes(r.hugepage_limits);
  for (size_t i = 0; i < r.hugepage_limits.size(); ++i) {
    const HugepageLimit& h = r.hugepage_limits[i];
    const std::string field = hugepage_field(i) + ".limit";
    enable("hugetlb", field);
    const std::string prefix = "hugetlb." + h.page_size + ".";
    const std::string value = h.limit < 0 ? "max" : std::to_string(h.limit);
    write_limit(dir_, prefix + "max", value, field);
    // Reservations too (Linux 5.7+), so that mmap fails rather than a fault.
    if (::access(join(dir_, prefix + "rsvd.max").c_str(), F_OK) == 0)
      write_limit(dir_, prefix + "rsvd.max", value, field);
  }
  for (const auto& [device, limit] : r.rdma) {
    std::string line = rdma_line(device, limit);
    if (line.empty()) continue;
    const std::string field = "linux.resources.rdma." + device;
    enable("rdma", field);
    write_limit(dir_, "rdma.max", line, field);
  }
}

}  // namespace vsrv::cgroups::detail
