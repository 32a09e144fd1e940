// Readings of the host the benchmarks print next to their figures.
#pragma once

#include <string>

namespace vsrv::bench {

// "0.52 0.61 0.70" from /proc/loadavg: other work on the host skews latencies.
std::string load_average();

// Waits (up to max_s seconds) until the kernel has finished freeing what an
// earlier phase left it: network namespaces, cgroups and RCU-deferred frees
// go on for seconds after a teardown of many servers, and a phase measured
// meanwhile looks smaller by what they give back. Settled: SUnreclaim moved
// by under 512 KiB and MemFree by under 4 MiB in one second. Returns the
// seconds waited.
double wait_until_settled(int max_s);

// MemAvailable from /proc/meminfo, the median of a few readings 100 ms apart.
long long mem_available_kib();
// Memory no reclaim can give back: AnonPages + Shmem + SUnreclaim +
// KernelStack + PageTables + Percpu of /proc/meminfo (KiB, median of 5);
// page cache and reclaimable slab (dentries, inodes) are left out.
long long pinned_kib();
// The same with slab counted by the objects in use (active objects x size
// of every cache that is not reclaimable, /proc/slabinfo) instead of
// SUnreclaim's pages: a phase that runs after another's teardown fills the
// slab pages that teardown left partly free, and SUnreclaim then barely
// moves; objects in use move by what the phase allocated. Needs root.
long long unreclaimable_objects_kib();

// Memory charged to the cgroup "<own cgroup>/rel" (v1 memory.usage_in_bytes,
// or v2 memory.current), in KiB; -1 when there is no such file.
long long cgroup_memory_kib(const std::string& rel);

}  // namespace vsrv::bench
