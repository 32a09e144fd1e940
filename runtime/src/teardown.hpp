// Removing a server: `delete` (control.cpp), and the re-create of a stopped
// server by `start --all-onboot`, which drops the old instance but keeps
// its data (upper layer, disk, server.json).
#pragma once

#include <string>

#include "vsrv/runtime/options.hpp"

namespace vsrv::runtime {

// delete; keep_data: DATA/servers/ID stays (only its state, cgroup,
// processes and network go).
void remove_server(const GlobalOptions& g, const std::string& id, bool force, bool keep_data);

}  // namespace vsrv::runtime
