// Where the hierarchies of the calling process are mounted, found from
// /proc/self/cgroup and statfs() only (no mount table parsing: it runs on
// every create).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "vsrv/cgroups/parse.hpp"

namespace vsrv::cgroups::detail {

inline constexpr const char* kCgroupRoot = "/sys/fs/cgroup";

struct V1Hierarchy {
  std::string mount;                     // e.g. /sys/fs/cgroup/cpu,cpuacct
  std::vector<std::string> controllers;  // e.g. {"cpu", "cpuacct"} or {"name=systemd"}
  std::string own;                       // the caller's cgroup in it, e.g. /process_api/x
};

struct V2Hierarchy {
  std::string mount;  // /sys/fs/cgroup (pure v2) or /sys/fs/cgroup/unified (hybrid)
  std::string own;
};

struct Hierarchies {
  bool pure_v2 = false;
  std::vector<V1Hierarchy> v1;
  std::optional<V2Hierarchy> v2;
};

Hierarchies discover_hierarchies();
Hierarchies discover_hierarchies(const std::vector<SelfCgroupEntry>& entries);

// Controllers of a v1 hierarchy mounted at /sys/fs/cgroup/NAME, from NAME
// ("cpu,cpuacct" -> cpu, cpuacct; "systemd" -> name=systemd).
std::vector<std::string> controllers_of_mount(const std::string& mount);

}  // namespace vsrv::cgroups::detail
