// The last steps before execve, shared by a server's init and by `exec`.
#pragma once

#include <string>
#include <vector>

#include "vsrv/base/fd.hpp"
#include "vsrv/isolation/seccomp_program.hpp"
#include "vsrv/runtime/spec.hpp"

namespace vsrv::runtime {

// Closes every inherited fd except 0-2 and those in keep: the caller's lock
// file and anything else of the host must not reach the server.
void close_fds_except(std::vector<int> keep);

// Opens a pty pair from the devpts of the current mount namespace (the
// server's own); the slave becomes the controlling terminal (after setsid)
// and the standard streams. Returns the master, for the caller's monitor.
UniqueFd open_terminal();

// rlimits and oomScoreAdj.
void apply_process_limits(const spec::Process& p);
// chdir to process.cwd (verified to stay inside the root) and resolve
// args[0] through PATH; returns the executable's path.
std::string prepare_exec(const spec::Process& p);
// user, groups, capabilities, no_new_privs, seccomp (last), close-on-exec
// for every fd from 3, execve. Throws only on failure.
// seccomp is the compiled linux.seccomp, or null for none.
void exec_process(const spec::Process& p, const std::string& exe,
                  const isolation::SeccompProgram* seccomp);

}  // namespace vsrv::runtime
