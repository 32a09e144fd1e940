// Small per-process settings: no_new_privs, oom_score_adj.
#include <sys/prctl.h>

#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/isolation/process.hpp"

namespace vsrv::isolation {

void set_no_new_privs() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) throw SysError("set no_new_privs");
}

void set_oom_score_adj(int adj) {
  if (adj < -1000 || adj > 1000) {
    throw Error(ErrorKind::kUsage,
                "oom_score_adj " + std::to_string(adj) + ": must be in -1000..1000");
  }
  write_file("/proc/self/oom_score_adj", std::to_string(adj));
}

}  // namespace vsrv::isolation
