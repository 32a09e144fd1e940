// The per-server monitor: a small process (child subreaper) that reaps the
// server's init, records its exit status and copies its output to a log;
// with a restart policy it launches the init again.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>

namespace vsrv::runtime {

// Encodes a wait status as the CLI reports it: the exit code, or 128+signal.
int exit_code_of(int wait_status);

// A new init launched after the old one exited.
struct Relaunched {
  int pidfd = -1;
  int output_fd = -1;  // its pty master; -1: its output goes where the old one's did
};
// Asked when the init exited (info from waitid): a new init, or nothing
// when the server stays stopped.
using Restart = std::function<std::optional<Relaunched>(const siginfo_t& info)>;

// Replaces this process with the vsrv-monitor program (runtime/monitor/),
// which runs monitor_main with no restart policy; returns only when there is
// no such program (next to the vsrv binary, or installed) or exec failed,
// and the caller then monitors in-process.
void exec_monitor_program(const std::string& exit_path, int init_pidfd, int output_fd, int log_fd);

// Runs until the init exits (and is not restarted). output_fd: pipe read
// end or pty master (-1: none), copied to log_fd (opened O_APPEND).
[[noreturn]] void monitor_main(const std::string& exit_path, int init_pidfd, int output_fd,
                               int log_fd, const Restart& restart);

}  // namespace vsrv::runtime
