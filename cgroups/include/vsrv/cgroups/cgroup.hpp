// One cgroup per server: one interface, two backends (v2 unified; v1/hybrid)
// chosen at run time by what is mounted.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vsrv/cgroups/devices.hpp"

namespace vsrv::cgroups {

struct MemoryResources {
  std::optional<int64_t> limit;        // bytes; -1 = unlimited
  std::optional<int64_t> reservation;  // bytes
  std::optional<int64_t> swap;         // memory+swap bytes (OCI semantics); -1 = unlimited
  std::optional<bool> disable_oom_killer;
  std::optional<uint64_t> swappiness;
};
struct CpuResources {
  std::optional<uint64_t> shares;
  std::optional<int64_t> quota;  // microseconds per period; -1 = unlimited
  std::optional<uint64_t> period;
  std::optional<uint64_t> burst;
  std::optional<std::string> cpus;  // cpuset, e.g. "0-1"
  std::optional<std::string> mems;
  std::optional<bool> idle;
};
struct PidsResources {
  std::optional<int64_t> limit;  // -1 or 0 = unlimited
};
// OCI linux.resources.blockIO. Weights are OCI's (10-1000; 0 = not set).
struct WeightDevice {
  uint32_t major = 0;
  uint32_t minor = 0;
  std::optional<uint16_t> weight;
  std::optional<uint16_t> leaf_weight;
};
struct ThrottleDevice {
  uint32_t major = 0;
  uint32_t minor = 0;
  uint64_t rate = 0;  // bytes or operations per second; 0 = no limit
};
struct BlockIoResources {
  std::optional<uint16_t> weight;
  std::optional<uint16_t> leaf_weight;
  std::vector<WeightDevice> weight_devices;
  std::vector<ThrottleDevice> read_bps, write_bps, read_iops, write_iops;
  bool empty() const {
    return !weight && !leaf_weight && weight_devices.empty() && read_bps.empty() &&
           write_bps.empty() && read_iops.empty() && write_iops.empty();
  }
};
struct HugepageLimit {
  std::string page_size;  // as the kernel names it: "2MB", "1GB", "64KB"
  int64_t limit = 0;      // bytes; -1 = unlimited
};
// OCI linux.resources.network (cgroup v1 net_cls / net_prio only).
struct NetworkResources {
  std::optional<uint32_t> class_id;
  std::vector<std::pair<std::string, uint32_t>> priorities;  // interface, priority
  bool empty() const { return !class_id && priorities.empty(); }
};
struct RdmaLimit {
  std::optional<uint32_t> hca_handles;
  std::optional<uint32_t> hca_objects;
};
struct Resources {
  MemoryResources memory;
  CpuResources cpu;
  PidsResources pids;
  std::map<std::string, std::string> unified;  // raw v2 files
  // The device rules to enforce, in order, starting from "allow all" (see
  // DeviceState): apply() makes the cgroup's rules exactly these. The spec
  // parser puts the spec's own rules here; the runtime puts a server's whole
  // list (default_device_rules(), its linux.devices, then the spec's).
  std::optional<std::vector<DeviceRule>> devices;
  BlockIoResources block_io;
  std::vector<HugepageLimit> hugepage_limits;
  NetworkResources network;
  std::map<std::string, RdmaLimit> rdma;  // by device name (e.g. mlx5_0)
};

// What a cgroup (with its descendants) uses and how often it hit its limits.
// A limit is empty when unlimited. failcnt is a beancounter-style count of
// refusals per limit: memory and swap, times usage reached the limit; pids,
// forks refused; cpu, periods throttled. Counters a kernel lacks read 0.
struct MemoryStats {
  uint64_t usage = 0;  // bytes
  uint64_t peak = 0;   // highest usage since creation
  std::optional<uint64_t> limit;
  uint64_t failcnt = 0;
  uint64_t swap_usage = 0;             // swap alone (v1: memsw usage - usage)
  std::optional<uint64_t> swap_limit;  // swap alone (v1: memsw limit - limit)
  uint64_t swap_failcnt = 0;
  uint64_t oom_events = 0;  // times the OOM killer ran (v1: = oom_kills)
  uint64_t oom_kills = 0;   // processes it killed
};
struct CpuStats {
  uint64_t usage_usec = 0;
  uint64_t user_usec = 0;
  uint64_t system_usec = 0;
  uint64_t periods = 0;
  uint64_t throttled_periods = 0;  // the cpu failcnt
  uint64_t throttled_usec = 0;
  std::optional<uint64_t> quota_usec;  // per period; empty: unlimited
  uint64_t period_usec = 0;
};
struct PidsStats {
  uint64_t current = 0;
  std::optional<uint64_t> limit;
  uint64_t failcnt = 0;
};
struct IoStats {
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
  uint64_t read_ios = 0;
  uint64_t write_ios = 0;
};
struct Stats {
  MemoryStats memory;
  CpuStats cpu;
  PidsStats pids;
  IoStats io;
};

// OOM notifications without a polling loop: fd() turns readable (POLLIN) when
// the kernel reports an OOM in the cgroup (v2: inotify on memory.events; v1:
// an eventfd registered through cgroup.event_control for memory.oom_control).
class OomWatch {
 public:
  virtual ~OomWatch() = default;
  virtual int fd() const = 0;
  // Consumes the notification; returns how many OOM events happened since the
  // last call (0 for a change that was no OOM).
  virtual uint64_t consume() = 0;
  // True once the cgroup is gone (v1 signals its removal on the eventfd).
  virtual bool gone() const = 0;
};

enum class Backend { kV1, kV2 };

class Cgroup {
 public:
  virtual ~Cgroup() = default;

  // Creates the cgroup. A relative path (OCI cgroupsPath "vsrv/ID") is nested
  // under the calling process's own cgroup in every hierarchy; an absolute
  // one is taken as given (relative to each hierarchy's mount). Fails if it
  // exists already. Throws vsrv::Error.
  static std::unique_ptr<Cgroup> create(const std::string& path);
  // The directories create(path) makes (its dirs()), without making them: a
  // caller records them first, so that a create killed halfway can be undone.
  static std::vector<std::string> dirs_for(const std::string& path);
  // How many directories above each of dirs_for(path) create(path) may make
  // and share with other cgroups: the parents of a relative path (0 for an
  // absolute one, whose parents belong to whoever gave it).
  static int parents_made_for(const std::string& path);
  // Removes up to levels parents of each dir, bottom up, while they are empty
  // (a cgroup with children or processes stays).
  static void remove_empty_parents(const std::vector<std::string>& dirs, int levels);
  // Reopens a cgroup from the directories recorded by dirs() (e.g. in state).
  static std::unique_ptr<Cgroup> load(const std::vector<std::string>& dirs);
  // Which backend this host uses.
  static Backend host_backend();

  virtual Backend backend() const = 0;
  // Absolute directories of this cgroup in every hierarchy it lives in.
  virtual std::vector<std::string> dirs() const = 0;
  // Moves pid into the cgroup in every hierarchy.
  virtual void add(pid_t pid) = 0;
  // An O_DIRECTORY fd of the cgroup2 directory for clone3(CLONE_INTO_CGROUP),
  // or -1 when that cannot place the process in every hierarchy (v1).
  virtual int clone_into_fd() const = 0;
  // Every process in the cgroup (and its descendants).
  virtual std::vector<pid_t> pids() const = 0;
  // Sends sig to every process; for SIGKILL, returns once the cgroup is empty.
  virtual void kill_all(int sig) = 0;
  virtual void freeze() = 0;  // returns once frozen
  virtual void thaw() = 0;
  virtual bool frozen() const = 0;
  // Applies limits; a limit that cannot be applied is an error naming it.
  virtual void apply(const Resources& resources) = 0;
  // Usage, limits and failure counters (missing files read as 0 / unlimited).
  virtual Stats stats() const = 0;
  // Processes the OOM killer killed here (stats().memory.oom_kills from one
  // file: what state and list show).
  virtual uint64_t oom_kills() const = 0;
  // Starts watching for OOM events. Throws when the memory controller is absent.
  virtual std::unique_ptr<OomWatch> watch_oom() const = 0;
  // Removes every directory (retries EBUSY briefly). Missing dirs are fine.
  virtual void remove() = 0;
};

}  // namespace vsrv::cgroups
