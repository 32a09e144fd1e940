// `vsrv check`: the host settings that cap how many servers fit, each with
// its value now, what N servers need, and what to do about it. The needs
// are budgets per server (see docs/density.md): e.g. 8 inotify instances
// and 1024 watches (what a systemd-based server uses), 128 pids, one
// namespace of each kind, one neighbour entry on the host's bridge.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vsrv::runtime {

struct HostCheck {
  std::string name;     // the sysctl, "fs.inotify.max_user_instances"
  std::string current;  // its value; empty when this kernel has none
  uint64_t needed = 0;  // for the asked number of servers
  bool ok = true;       // current >= needed (or absent: nothing to limit)
  std::string limits;   // what runs out when it is too low
};

std::vector<HostCheck> check_host(uint64_t servers);

}  // namespace vsrv::runtime
