// Statistics and OOM events of the cgroup v1/hybrid backend.
#include <unistd.h>

#include "cgfs.hpp"
#include "oom_watch.hpp"
#include "v1.hpp"
#include "vsrv/base/error.hpp"

namespace vsrv::cgroups::detail {

namespace {

uint64_t sub_or_zero(uint64_t a, uint64_t b) {
  return a > b ? a - b : 0;
}

void memory_stats(const std::string& dir, MemoryStats& m) {
  m.usage = read_u64(join(dir, "memory.usage_in_bytes"));
  m.peak = read_u64(join(dir, "memory.max_usage_in_bytes"));
  m.limit = read_limit(join(dir, "memory.limit_in_bytes"));
  m.failcnt = read_u64(join(dir, "memory.failcnt"));
  if (::access(join(dir, "memory.memsw.usage_in_bytes").c_str(), F_OK) == 0) {
    // memsw counts memory + swap.
    m.swap_usage = sub_or_zero(read_u64(join(dir, "memory.memsw.usage_in_bytes")), m.usage);
    auto memsw = read_limit(join(dir, "memory.memsw.limit_in_bytes"));
    if (memsw && m.limit) m.swap_limit = sub_or_zero(*memsw, *m.limit);
    m.swap_failcnt = read_u64(join(dir, "memory.memsw.failcnt"));
  }
  auto oom = read_keyed(join(dir, "memory.oom_control"));
  m.oom_kills = oom["oom_kill"];
  m.oom_events = m.oom_kills;  // v1 counts no OOM-killer runs
}

void cpuacct_stats(const std::string& dir, CpuStats& c) {
  c.usage_usec = read_u64(join(dir, "cpuacct.usage")) / 1000;
  c.user_usec = read_u64(join(dir, "cpuacct.usage_user")) / 1000;
  c.system_usec = read_u64(join(dir, "cpuacct.usage_sys")) / 1000;
}

void cpu_stats(const std::string& dir, CpuStats& c) {
  auto st = read_keyed(join(dir, "cpu.stat"));
  c.periods = st["nr_periods"];
  c.throttled_periods = st["nr_throttled"];
  c.throttled_usec = st["throttled_time"] / 1000;  // ns in v1
  c.quota_usec = read_limit(join(dir, "cpu.cfs_quota_us"));
  c.period_usec = read_u64(join(dir, "cpu.cfs_period_us"));
}

void blkio_stats(const std::string& dir, IoStats& io) {
  // The throttling layer counts every bio, whatever the scheduler.
  for (const char* prefix : {"blkio.throttle.", "blkio."}) {
    std::string base = join(dir, prefix);
    auto bytes = read_opt(base + "io_service_bytes_recursive");
    if (!bytes) continue;
    IoTotals b = parse_blkio(*bytes);
    IoTotals n = parse_blkio(read_opt(base + "io_serviced_recursive").value_or(""));
    io.read_bytes = b.read_bytes;
    io.write_bytes = b.write_bytes;
    io.read_ios = n.read_bytes;
    io.write_ios = n.write_bytes;
    return;
  }
}

}  // namespace

uint64_t V1Cgroup::oom_kills() const {
  const std::string* d = find("memory");
  return d ? read_keyed(join(*d, "memory.oom_control"))["oom_kill"] : 0;
}

Stats V1Cgroup::stats() const {
  Stats s;
  if (const std::string* d = find("memory")) memory_stats(*d, s.memory);
  if (const std::string* d = find("cpuacct")) cpuacct_stats(*d, s.cpu);
  if (const std::string* d = find("cpu")) cpu_stats(*d, s.cpu);
  if (const std::string* d = find("pids")) {
    s.pids.current = read_u64(join(*d, "pids.current"));
    s.pids.limit = read_limit(join(*d, "pids.max"));
    s.pids.failcnt = read_keyed(join(*d, "pids.events"))["max"];
  }
  if (const std::string* d = find("blkio")) blkio_stats(*d, s.io);
  return s;
}

std::unique_ptr<OomWatch> V1Cgroup::watch_oom() const {
  return watch_oom_v1(need("memory", "watch OOM events"));
}

}  // namespace vsrv::cgroups::detail
