// vsrv-monitor: the per-server monitor as a small static program of its own.
// `vsrv create` forks, launches the server's init from the fork (so the init
// is its child and it is the subreaper), then executes this program in that
// fork: the pages of a static binary are shared by every monitor on the host,
// where a fork of the whole vsrv process would keep ~700 KiB of its own.
//
// Usage (from vsrv only): vsrv-monitor EXIT_PATH INIT_PIDFD OUTPUT_FD LOG_FD
// Inherited fds: the init's pidfd, its output (pipe or pty master, -1: none)
// and the console log (O_APPEND, -1: none).
#include <cstdlib>
#include <string>

#include "../src/monitor.hpp"

namespace {

int fd_arg(const char* s) {
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  return end && *end == '\0' && v >= -1 && v < (1 << 20) ? static_cast<int>(v) : -2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) return 2;
  int pidfd = fd_arg(argv[2]), out = fd_arg(argv[3]), log = fd_arg(argv[4]);
  if (pidfd < 0 || out < -1 || log < -1) return 2;
  vsrv::runtime::monitor_main(argv[1], pidfd, out, log, {});
}
