// Pure functions of the cgroups layer (no system calls), exposed so that unit
// tests can check them: /proc/self/cgroup parsing, path validation and the
// translations of OCI resources to cgroup v2 files.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vsrv::cgroups {

// One line of /proc/PID/cgroup: "ID:CONTROLLERS:PATH".
struct SelfCgroupEntry {
  int id = 0;
  std::vector<std::string> controllers;  // empty for the cgroup2 line ("0::/x")
  std::string path;                      // absolute within the hierarchy
};

// Parses the whole file; throws vsrv::Error on a malformed line.
std::vector<SelfCgroupEntry> parse_self_cgroup(const std::string& text);

// Splits a cgroupsPath into its components (empty ones dropped); refuses "",
// "/", "." and ".." components. Throws vsrv::Error (kUsage).
std::vector<std::string> cgroup_path_components(const std::string& path);

// Validates a key of linux.resources.unified: a plain file name, no '/' or "..".
void validate_unified_key(const std::string& key);

// cgroup v1 cpu.shares -> cgroup v2 cpu.weight (2 -> 1, 1024 -> 39, 262144 -> 10000).
uint64_t shares_to_weight(uint64_t shares);

// OCI blockIO weight (10-1000) -> cgroup v2 io.weight (1-10000): 10 -> 1,
// 100 -> 910, 1000 -> 10000 (runc's mapping). io.bfq.weight takes OCI's.
uint64_t blkio_weight_to_io_weight(uint64_t weight);

// OCI memory.swap (memory+swap; -1 unlimited) -> cgroup v2 memory.swap.max
// (swap alone): "max" or a byte count; empty when nothing is to be written.
// Throws vsrv::Error naming linux.resources.memory.swap when it cannot be
// expressed (swap below the limit, swap without a limit).
std::optional<std::string> swap_to_v2(std::optional<int64_t> limit, std::optional<int64_t> swap);

// cgroup v2 cpu.max: "QUOTA PERIOD", QUOTA "max" when quota < 0.
std::string format_cpu_max(int64_t quota, uint64_t period);

// Value of "KEY VALUE" lines (cgroup.events, memory.events); empty if absent.
std::optional<std::string> key_value(const std::string& text, const std::string& key);

// "KEY VALUE" lines (cpu.stat, memory.events, pids.events, memory.stat) as
// numbers; lines whose value is not a number are left out.
std::map<std::string, uint64_t> flat_keyed(const std::string& text);

// A limit file: "max" (v2), "-1" or a v1 value of 2^62 or more (v1's
// "unlimited", rounded down to a page) -> empty; else the number.
std::optional<uint64_t> parse_limit(const std::string& text);

// Byte and operation counts summed over devices.
struct IoTotals {
  uint64_t read_bytes = 0, write_bytes = 0, read_ios = 0, write_ios = 0;
};
// cgroup v2 io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ...".
IoTotals parse_io_stat(const std::string& text);
// cgroup v1 blkio.*io_service_bytes and blkio.*io_serviced: "MAJ:MIN Read N" lines;
// the counts go to the byte fields (the caller knows which file it read).
IoTotals parse_blkio(const std::string& text);

// The name of the leaf cgroup vsrv moves the caller's processes into when
// their cgroup (not the root) must give controllers to its children (cgroup
// v2's "no internal processes" rule).
inline constexpr const char* kCallerLeaf = "vsrv.leaf";
// The cgroup under which relative paths are nested for a caller in own: own,
// or its parent when own is that leaf.
std::string caller_base(const std::string& own);

}  // namespace vsrv::cgroups
