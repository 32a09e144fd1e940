// Backend factories at an explicit mount, for tests (the public
// Cgroup::create picks the backend and the mounts from the host).
#pragma once

#include <memory>
#include <string>

#include "vsrv/cgroups/cgroup.hpp"

namespace vsrv::cgroups {

// Creates a cgroup with the v2 backend on the cgroup2 mount `mount` (e.g.
// /sys/fs/cgroup/unified on a hybrid host). A relative path is nested under
// the caller's own cgroup2 path (the "0::" line of /proc/self/cgroup).
std::unique_ptr<Cgroup> create_v2_at(const std::string& mount, const std::string& path);

}  // namespace vsrv::cgroups
