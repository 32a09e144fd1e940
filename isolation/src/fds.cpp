// Keep host file descriptors out of the server: close-on-exec for fd >= lowfd.
#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "vsrv/base/error.hpp"
#include "vsrv/isolation/process.hpp"

namespace vsrv::isolation {

namespace {

// Kernels before 5.11 lack CLOSE_RANGE_CLOEXEC: walk /proc/self/fd instead.
void cloexec_by_walking(int lowfd) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) throw SysError("open /proc/self/fd");
  int own = ::dirfd(dir);
  while (struct dirent* e = ::readdir(dir)) {
    char* end;
    long fd = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || end == e->d_name || fd < lowfd || fd == own) continue;
    int flags = ::fcntl(static_cast<int>(fd), F_GETFD);
    if (flags >= 0) ::fcntl(static_cast<int>(fd), F_SETFD, flags | FD_CLOEXEC);
  }
  ::closedir(dir);
}

}  // namespace

void cloexec_fds_from(int lowfd) {
  if (lowfd < 0) lowfd = 0;
  if (::syscall(SYS_close_range, static_cast<unsigned>(lowfd), ~0U, CLOSE_RANGE_CLOEXEC) == 0) {
    return;
  }
  if (errno != ENOSYS && errno != EINVAL) throw SysError("close_range");
  cloexec_by_walking(lowfd);
}

}  // namespace vsrv::isolation
