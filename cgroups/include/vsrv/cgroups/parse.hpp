// Pure functions of the cgroups layer (no system calls), exposed so that unit
// tests can check them: /proc/self/cgroup parsing, path validation and the
// translations of OCI resources to cgroup v2 files.
#pragma once

#include <cstdint>
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

// OCI memory.swap (memory+swap; -1 unlimited) -> cgroup v2 memory.swap.max
// (swap alone): "max" or a byte count; empty when nothing is to be written.
// Throws vsrv::Error naming linux.resources.memory.swap when it cannot be
// expressed (swap below the limit, swap without a limit).
std::optional<std::string> swap_to_v2(std::optional<int64_t> limit, std::optional<int64_t> swap);

// cgroup v2 cpu.max: "QUOTA PERIOD", QUOTA "max" when quota < 0.
std::string format_cpu_max(int64_t quota, uint64_t period);

// Value of "KEY VALUE" lines (cgroup.events, memory.events); empty if absent.
std::optional<std::string> key_value(const std::string& text, const std::string& key);

}  // namespace vsrv::cgroups
