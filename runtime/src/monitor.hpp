// The per-server monitor: a small process (child subreaper) that reaps the
// server's init, records its exit status and copies its output to a log.
#pragma once

#include <sys/types.h>

#include <string>

namespace vsrv::runtime {

// Encodes a wait status as the CLI reports it: the exit code, or 128+signal.
int exit_code_of(int wait_status);

// Runs until the init exits. output_fd: pipe read end or pty master (-1:
// none), copied to log_fd (opened O_APPEND).
[[noreturn]] void monitor_main(const std::string& exit_path, int init_pidfd, int output_fd,
                               int log_fd);

}  // namespace vsrv::runtime
