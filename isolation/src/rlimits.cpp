// setrlimit for OCI process.rlimits.
#include <sys/resource.h>

#include <cerrno>

#include "vsrv/base/error.hpp"
#include "vsrv/isolation/process.hpp"

namespace vsrv::isolation {

void apply_rlimits(const std::vector<Rlimit>& rlimits) {
  for (const auto& r : rlimits) {
    auto resource = rlimit_from_name(r.type);
    if (!resource) throw Error(ErrorKind::kUsage, "unknown rlimit " + r.type);
    if (r.soft > r.hard) {
      throw Error(ErrorKind::kUsage, r.type + ": soft limit " + std::to_string(r.soft) +
                                         " exceeds hard limit " + std::to_string(r.hard));
    }
    // RLIM_INFINITY is ~0 on Linux, so uint64 max maps to "unlimited" as OCI intends.
    struct rlimit lim {
      static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)
    };
    if (::setrlimit(*resource, &lim) == 0) continue;
    int err = errno;
    struct rlimit cur {};
    if (err == EPERM && ::getrlimit(*resource, &cur) == 0 && lim.rlim_max > cur.rlim_max) {
      throw SysError(r.type + ": cannot raise the hard limit above the caller's", err);
    }
    if (err == EPERM && *resource == RLIMIT_NOFILE) {
      throw SysError(r.type + ": limit above /proc/sys/fs/nr_open", err);
    }
    throw SysError(r.type + ": setrlimit", err);
  }
}

}  // namespace vsrv::isolation
