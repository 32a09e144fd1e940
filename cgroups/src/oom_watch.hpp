// OOM notifications of one cgroup directory (private).
#pragma once

#include <memory>
#include <string>

#include "vsrv/cgroups/cgroup.hpp"

namespace vsrv::cgroups::detail {

// v1: an eventfd registered in memory_dir/cgroup.event_control for
// memory.oom_control; each notification is one OOM.
std::unique_ptr<OomWatch> watch_oom_v1(const std::string& memory_dir);
// v2: inotify on dir/memory.events; an OOM is an increase of its "oom" count.
std::unique_ptr<OomWatch> watch_oom_v2(const std::string& dir);

}  // namespace vsrv::cgroups::detail
