// The restart policy (vsrv.restart) as a server's monitor applies it.
//   on-reboot: the init died by SIGHUP, the kernel's way of saying that
//              reboot(2) (RB_AUTOBOOT) was called inside the server's pid
//              namespace; SIGINT (halt, power off) and all else stop it.
//   always:    any exit (an init that lived under a second waits a second).
// Never once stop or delete was asked (state.stopRequested, or the server
// gone), and only by the monitor the state names. The relaunch runs under
// the server's lock, so the new pid is in state.json before any other
// command looks.
#pragma once

#include <signal.h>

#include <string>

#include "launch.hpp"
#include "monitor.hpp"
#include "vsrv/cgroups/cgroup.hpp"

namespace vsrv::runtime {

bool restart_wanted(const std::string& policy, const siginfo_t& info);

// A Restart for monitor_main; empty when the policy is "no". cfg and cg
// must outlive the monitor (they do: it never returns). Messages go to log_fd.
Restart make_restart(const std::string& root, const std::string& id, const InitConfig& cfg,
                     cgroups::Cgroup& cg, int log_fd);

}  // namespace vsrv::runtime
