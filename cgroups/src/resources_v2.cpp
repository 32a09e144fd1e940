// OCI linux.resources -> cgroup v2 files.
#include <string>

#include "cgfs.hpp"
#include "device_bpf.hpp"
#include "resources_common.hpp"
#include "v2.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/cgroups/parse.hpp"

namespace vsrv::cgroups::detail {

namespace {
const std::string kMem = "linux.resources.memory.";
const std::string kCpu = "linux.resources.cpu.";

std::string bytes_or_max(int64_t v) {
  return v < 0 ? "max" : std::to_string(v);
}
}  // namespace

void V2Cgroup::apply(const Resources& r) {
  const MemoryResources& m = r.memory;
  // Errors that need no system call come first.
  std::optional<std::string> swap_max = swap_to_v2(m.limit, m.swap);
  if (m.disable_oom_killer.value_or(false))
    throw Error(kMem + "disableOOMKiller: cgroup v2 has no per-cgroup switch for the OOM killer");
  if (m.swappiness) throw Error(kMem + "swappiness: cgroup v2 has no per-cgroup swappiness");
  for (const auto& [key, value] : r.unified) validate_unified_key(key);
  if (!r.network.empty())
    throw Error("linux.resources.network: cgroup v2 has no net_cls or net_prio controller");
  std::optional<DeviceState> devices;
  if (r.devices) devices = device_state_or_throw(*r.devices);
  check_hugepage_sizes(r.hugepage_limits);
  refuse_leaf_weights(r.block_io);
  check_block_devices(r.block_io);

  if (m.limit) {
    enable("memory", kMem + "limit");
    write_limit(dir_, "memory.max", bytes_or_max(*m.limit), kMem + "limit");
  }
  if (m.reservation) {
    enable("memory", kMem + "reservation");
    write_limit(dir_, "memory.low", bytes_or_max(*m.reservation), kMem + "reservation");
  }
  if (swap_max) {
    enable("memory", kMem + "swap");
    write_limit(dir_, "memory.swap.max", *swap_max, kMem + "swap", "swap accounting disabled");
  }

  const CpuResources& c = r.cpu;
  if (c.shares && *c.shares != 0) {
    enable("cpu", kCpu + "shares");
    write_limit(dir_, "cpu.weight", std::to_string(shares_to_weight(*c.shares)), kCpu + "shares");
  }
  if (c.quota || (c.period && *c.period != 0)) {
    std::string field = kCpu + (c.quota ? "quota" : "period");
    enable("cpu", field);
    // Keep the half of cpu.max that is not given.
    int64_t quota = -1;
    uint64_t period = 100000;
    if (auto cur = read_opt(join(dir_, "cpu.max"))) {
      auto parts = split(*cur, ' ');
      if (parts.size() == 2) {
        quota = parts[0] == "max" ? -1 : std::stoll(parts[0]);
        period = std::stoull(parts[1]);
      }
    }
    if (c.quota) quota = *c.quota;
    if (c.period && *c.period != 0) period = *c.period;
    write_limit(dir_, "cpu.max", format_cpu_max(quota, period), field);
  }
  if (c.burst) {
    enable("cpu", kCpu + "burst");
    write_limit(dir_, "cpu.max.burst", std::to_string(*c.burst), kCpu + "burst");
  }
  if (c.idle) {
    enable("cpu", kCpu + "idle");
    write_limit(dir_, "cpu.idle", *c.idle ? "1" : "0", kCpu + "idle");
  }
  if (c.cpus && !c.cpus->empty()) {
    enable("cpuset", kCpu + "cpus");
    write_limit(dir_, "cpuset.cpus", *c.cpus, kCpu + "cpus");
  }
  if (c.mems && !c.mems->empty()) {
    enable("cpuset", kCpu + "mems");
    write_limit(dir_, "cpuset.mems", *c.mems, kCpu + "mems");
  }

  if (r.pids.limit) {
    enable("pids", "linux.resources.pids.limit");
    write_limit(dir_, "pids.max", *r.pids.limit <= 0 ? "max" : std::to_string(*r.pids.limit),
                "linux.resources.pids.limit");
  }

  for (const auto& [key, value] : r.unified) {
    std::string field = "linux.resources.unified." + key;
    std::string controller = key.substr(0, key.find('.'));
    // Core files ("cgroup.*") need no controller.
    if (controller != "cgroup" && controller != key) enable(controller, field);
    write_limit(dir_, key, value, field);
  }
  apply_block_io(r.block_io);
  apply_hugepages_rdma(r);
  if (devices) {
    if (!fd_) throw Error(kDevicesField + ": the cgroup " + dir_ + " is gone");
    replace_device_program(fd_.get(), *devices, kDevicesField);
  }
}

}  // namespace vsrv::cgroups::detail
