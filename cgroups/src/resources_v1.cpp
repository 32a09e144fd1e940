// OCI linux.resources -> cgroup v1 files (and raw files of the hybrid cgroup2
// directory for linux.resources.unified).
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "cgfs.hpp"
#include "resources_common.hpp"
#include "v1.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/cgroups/parse.hpp"

namespace vsrv::cgroups::detail {

namespace {
const std::string kMem = "linux.resources.memory.";
const std::string kCpu = "linux.resources.cpu.";
}  // namespace

void V1Cgroup::apply(const Resources& r) {
  const MemoryResources& m = r.memory;
  for (const auto& [key, value] : r.unified) validate_unified_key(key);
  if (!r.unified.empty() && !unified_)
    throw Error("linux.resources.unified: this host has no cgroup v2 hierarchy");
  if (r.devices) device_state_or_throw(*r.devices);
  check_hugepage_sizes(r.hugepage_limits);
  check_block_devices(r.block_io);
  bool swap_set = m.swap && *m.swap != 0;  // OCI swap 0 means "not set"
  if (swap_set && *m.swap > 0 && m.limit && *m.limit > 0 && *m.swap < *m.limit)
    throw Error(ErrorKind::kUsage, kMem + "swap: " + std::to_string(*m.swap) +
                                       " (memory+swap) is below linux.resources.memory.limit " +
                                       std::to_string(*m.limit));

  if (m.limit || swap_set) {
    const std::string& dir = need("memory", kMem + (m.limit ? "limit" : "swap"));
    auto write_mem = [&] {
      if (m.limit)
        write_limit(dir, "memory.limit_in_bytes", std::to_string(*m.limit), kMem + "limit");
    };
    std::string memsw = join(dir, "memory.memsw.limit_in_bytes");
    if (!swap_set) {
      write_mem();
    } else if (::access(memsw.c_str(), F_OK) != 0) {
      // Without swap accounting only "no swap limit" (-1) or "no extra swap"
      // (swap == limit) can be honoured, the latter only approximately.
      if (*m.swap != -1 && !(m.limit && *m.swap == *m.limit))
        throw Error(kMem +
                    "swap: memory.memsw.limit_in_bytes is missing (swap accounting disabled)");
      write_mem();
    } else {
      // memsw must stay >= the memory limit after each write: grow memsw first,
      // shrink it last.
      auto cur = read_opt(memsw);
      long long current = cur ? std::strtoll(cur->c_str(), nullptr, 10) : 0;
      bool swap_first = *m.swap == -1 || *m.swap >= current;
      if (!swap_first) write_mem();
      write_limit(dir, "memory.memsw.limit_in_bytes", std::to_string(*m.swap), kMem + "swap");
      if (swap_first) write_mem();
    }
  }
  if (m.reservation)
    write_limit(need("memory", kMem + "reservation"), "memory.soft_limit_in_bytes",
                std::to_string(*m.reservation), kMem + "reservation");
  if (m.disable_oom_killer)
    write_limit(need("memory", kMem + "disableOOMKiller"), "memory.oom_control",
                *m.disable_oom_killer ? "1" : "0", kMem + "disableOOMKiller");
  if (m.swappiness)
    write_limit(need("memory", kMem + "swappiness"), "memory.swappiness",
                std::to_string(*m.swappiness), kMem + "swappiness");

  const CpuResources& c = r.cpu;
  if (c.shares && *c.shares != 0)
    write_limit(need("cpu", kCpu + "shares"), "cpu.shares", std::to_string(*c.shares),
                kCpu + "shares");
  bool period_set = c.period && *c.period != 0;
  if (c.quota || period_set) {
    const std::string& dir = need("cpu", kCpu + (c.quota ? "quota" : "period"));
    auto quota = [&] {
      write_limit(dir, "cpu.cfs_quota_us", std::to_string(*c.quota), kCpu + "quota");
    };
    auto period = [&] {
      write_limit(dir, "cpu.cfs_period_us", std::to_string(*c.period), kCpu + "period");
    };
    if (period_set && c.quota) {
      // Period first; if the new period does not fit the old quota (the
      // kernel checks the pair), quota first instead.
      if (write_errno(join(dir, "cpu.cfs_period_us"), std::to_string(*c.period)) == 0) {
        quota();
      } else {
        quota();
        period();
      }
    } else if (period_set) {
      period();
    } else {
      quota();
    }
  }
  if (c.burst)
    write_limit(need("cpu", kCpu + "burst"), "cpu.cfs_burst_us", std::to_string(*c.burst),
                kCpu + "burst");
  if (c.idle)
    write_limit(need("cpu", kCpu + "idle"), "cpu.idle", *c.idle ? "1" : "0", kCpu + "idle");
  if (c.cpus && !c.cpus->empty())
    write_limit(need("cpuset", kCpu + "cpus"), "cpuset.cpus", *c.cpus, kCpu + "cpus");
  if (c.mems && !c.mems->empty())
    write_limit(need("cpuset", kCpu + "mems"), "cpuset.mems", *c.mems, kCpu + "mems");

  if (r.pids.limit)
    write_limit(need("pids", "linux.resources.pids.limit"), "pids.max",
                *r.pids.limit <= 0 ? "max" : std::to_string(*r.pids.limit),
                "linux.resources.pids.limit");

  apply_block_io(r.block_io);
  apply_hugepages_network_rdma(r);
  for (const auto& [key, value] : r.unified)
    write_limit(*unified_, key, value, "linux.resources.unified." + key);
  if (r.devices) apply_devices(*r.devices);
}

}  // namespace vsrv::cgroups::detail
