// The per-server monitor is vsrv-monitor (runtime/monitor/main.c), a small
// static program: `create` forks, launches the init from the fork, and the
// fork executes it. With a restart policy the monitor executes
// `vsrv ... relaunch ID` in its own process when the init exits the way the
// policy restarts (runtime::relaunch in server.hpp), which launches the init again and executes
// vsrv-monitor anew.
#pragma once

#include <string>
#include <vector>

#include "vsrv/runtime/options.hpp"

namespace vsrv::runtime {

// The vsrv-monitor program: next to the running vsrv binary, else where it
// is installed. Throws when there is none.
std::string monitor_program();

// What the monitor runs for an exit its restart policy restarts: the policy
// and the vsrv command that relaunches server id (with these global
// options); empty when the policy is "no".
std::vector<std::string> relaunch_command(const GlobalOptions& g, const std::string& policy,
                                          const std::string& id);

// Replaces this process with program monitoring the init (its pidfd, its
// output: pipe or pty master, -1: none, copied to log_fd, -1: none), which
// writes the exit code to exit_path. Returns only when execve failed.
void exec_monitor(const std::string& program, const std::string& exit_path, int init_pidfd,
                  int output_fd, int log_fd, const std::vector<std::string>& relaunch);

}  // namespace vsrv::runtime
