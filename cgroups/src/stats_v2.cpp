// Statistics and OOM events of the cgroup v2 backend.
#include "cgfs.hpp"
#include "oom_watch.hpp"
#include "v2.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/cgroups/parse.hpp"

namespace vsrv::cgroups::detail {

uint64_t V2Cgroup::oom_kills() const {
  return read_keyed(join(dir_, "memory.events"))["oom_kill"];
}

Stats V2Cgroup::stats() const {
  Stats s;
  auto f = [&](const char* name) { return join(dir_, name); };

  MemoryStats& m = s.memory;
  m.usage = read_u64(f("memory.current"));
  m.peak = read_u64(f("memory.peak"));  // Linux 5.19+
  m.limit = read_limit(f("memory.max"));
  auto events = read_keyed(f("memory.events"));
  m.failcnt = events["max"];
  m.oom_events = events["oom"];
  m.oom_kills = events["oom_kill"];
  m.swap_usage = read_u64(f("memory.swap.current"));
  m.swap_limit = read_limit(f("memory.swap.max"));
  m.swap_failcnt = read_keyed(f("memory.swap.events"))["max"];

  CpuStats& c = s.cpu;
  auto st = read_keyed(f("cpu.stat"));  // a core file: always there
  c.usage_usec = st["usage_usec"];
  c.user_usec = st["user_usec"];
  c.system_usec = st["system_usec"];
  c.periods = st["nr_periods"];
  c.throttled_periods = st["nr_throttled"];
  c.throttled_usec = st["throttled_usec"];
  if (auto max = read_opt(f("cpu.max"))) {
    auto parts = split(*max, ' ');
    if (parts.size() == 2) {
      c.quota_usec = parse_limit(parts[0]);
      c.period_usec = parse_limit(parts[1]).value_or(0);
    }
  }

  s.pids.current = read_u64(f("pids.current"));
  s.pids.limit = read_limit(f("pids.max"));
  s.pids.failcnt = read_keyed(f("pids.events"))["max"];

  IoTotals io = parse_io_stat(read_opt(f("io.stat")).value_or(""));
  s.io = {io.read_bytes, io.write_bytes, io.read_ios, io.write_ios};
  return s;
}

std::unique_ptr<OomWatch> V2Cgroup::watch_oom() const {
  return watch_oom_v2(dir_);
}

}  // namespace vsrv::cgroups::detail
