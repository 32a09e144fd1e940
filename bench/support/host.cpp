#include "host.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>
#include <vector>

#include "files.hpp"
#include "workspace.hpp"

namespace vsrv::bench {

std::string load_average() {
  auto f = split_ws(read_file("/proc/loadavg"));
  return f.size() >= 3 ? f[0] + " " + f[1] + " " + f[2] : "?";
}

double wait_until_settled(int max_s) {
  auto now = [] { return std::chrono::steady_clock::now(); };
  const auto start = now();
  std::string before = read_file("/proc/meminfo");
  for (int i = 0; i < max_s; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    std::string after = read_file("/proc/meminfo");
    const long long slab = field_kib(after, "SUnreclaim") - field_kib(before, "SUnreclaim");
    const long long free = field_kib(after, "MemFree") - field_kib(before, "MemFree");
    if (std::llabs(slab) < 512 && std::llabs(free) < 4096) break;
    before = after;
  }
  return std::chrono::duration<double>(now() - start).count();
}

long long mem_available_kib() {
  std::vector<long long> v;
  for (int i = 0; i < 5; ++i) {
    if (i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    v.push_back(field_kib(read_file("/proc/meminfo"), "MemAvailable"));
  }
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

long long pinned_kib() {
  std::vector<long long> v;
  for (int i = 0; i < 5; ++i) {
    if (i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::string m = read_file("/proc/meminfo");
    long long sum = 0;
    for (const char* f :
         {"AnonPages", "Shmem", "SUnreclaim", "KernelStack", "PageTables", "Percpu"})
      sum += std::max(0LL, field_kib(m, f));
    v.push_back(sum);
  }
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

long long unreclaimable_objects_kib() {
  std::string m = read_file("/proc/meminfo");
  long long sum = 0;
  for (const char* f : {"AnonPages", "Shmem", "KernelStack", "PageTables", "Percpu"})
    sum += std::max(0LL, field_kib(m, f));
  // name active_objs num_objs objsize ...: objects in use, by size, of every
  // cache whose objects no shrinker frees (reclaim_account 0).
  long long bytes = 0;
  std::istringstream slabinfo(read_file("/proc/slabinfo"));
  for (std::string line; std::getline(slabinfo, line);) {
    auto f = split_ws(line);
    if (f.size() < 4 || f[0].empty() || f[0][0] == '#' || f[0] == "slabinfo") continue;
    auto reclaim = try_read_file("/sys/kernel/slab/" + f[0] + "/reclaim_account");
    if (reclaim && !reclaim->empty() && (*reclaim)[0] == '1') continue;
    bytes += std::stoll(f[1]) * std::stoll(f[3]);
  }
  return sum + bytes / 1024;
}

long long cgroup_memory_kib(const std::string& rel) {
  for (const auto& dir : own_cgroup_dirs(rel)) {
    for (const char* f : {"/memory.usage_in_bytes", "/memory.current"}) {
      auto s = try_read_file(dir + f);
      if (s && !s->empty()) return std::stoll(*s) / 1024;
    }
  }
  return -1;
}

}  // namespace vsrv::bench
