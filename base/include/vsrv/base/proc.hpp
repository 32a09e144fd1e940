// Facts about processes read from /proc.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace vsrv {

// Field 22 of /proc/PID/stat (start time in clock ticks since boot); empty if
// the process does not exist. Used with the pid to guard against pid reuse.
std::optional<uint64_t> process_start_time(pid_t pid);

// True when pid exists, is not a zombie, and started at start_time.
bool process_alive(pid_t pid, uint64_t start_time);

// pidfd_open(2); -1 with errno on failure.
int pidfd_open(pid_t pid, unsigned flags = 0);
int pidfd_send_signal(int pidfd, int sig);

}  // namespace vsrv
