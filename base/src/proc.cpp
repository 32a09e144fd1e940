#include "vsrv/base/proc.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "vsrv/base/file.hpp"

namespace vsrv {

namespace {
// Returns the fields after the "(comm)" of /proc/PID/stat, starting at field 3.
std::optional<std::string> stat_tail(pid_t pid) {
  std::optional<std::string> stat;
  try {
    stat = try_read_file("/proc/" + std::to_string(pid) + "/stat");
  } catch (...) {
    return std::nullopt;
  }
  if (!stat) return std::nullopt;
  auto close = stat->rfind(')');
  if (close == std::string::npos || close + 2 > stat->size()) return std::nullopt;
  return stat->substr(close + 2);
}
}  // namespace

std::optional<uint64_t> process_start_time(pid_t pid) {
  auto tail = stat_tail(pid);
  if (!tail) return std::nullopt;
  auto fields = split(*tail, ' ');
  // tail[0] is field 3 (state); field 22 is tail[19].
  if (fields.size() < 20) return std::nullopt;
  return std::stoull(fields[19]);
}

bool process_alive(pid_t pid, uint64_t start_time) {
  auto tail = stat_tail(pid);
  if (!tail) return false;
  auto fields = split(*tail, ' ');
  if (fields.size() < 20) return false;
  if (fields[0] == "Z" || fields[0] == "X") return false;
  return std::stoull(fields[19]) == start_time;
}

int pidfd_open(pid_t pid, unsigned flags) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, flags));
}

int pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

}  // namespace vsrv
