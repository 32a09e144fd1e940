// Confining execve to the server's root with Landlock. A process that joins
// a server (init before its execve, `exec`) still runs the vsrv binary, and
// /proc/self/exe leads to it from inside the server: a "#!/proc/self/exe"
// script, or /proc/self/exe itself as the command, would make the kernel
// execute the host's vsrv inside the server and expose it there to be
// rewritten (CVE-2019-5736). Landlock judges an exec by where the file
// really is, magic links included: only files beneath the root may run.
#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/isolation/process.hpp"

namespace vsrv::isolation {

void confine_exec_to_root() {
  struct landlock_ruleset_attr attr = {};
  attr.handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE;
  UniqueFd ruleset(static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0)));
  if (!ruleset) {
    // A kernel without Landlock (not built, or not enabled at boot).
    if (errno == ENOSYS || errno == EOPNOTSUPP) return;
    throw SysError("confine exec to the root: landlock ruleset");
  }
  UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw SysError("confine exec to the root: open /");
  struct landlock_path_beneath_attr beneath = {};
  beneath.allowed_access = LANDLOCK_ACCESS_FS_EXECUTE;
  beneath.parent_fd = root.get();
  if (::syscall(SYS_landlock_add_rule, ruleset.get(), LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) < 0)
    throw SysError("confine exec to the root: landlock rule");
  // Allowed without no_new_privs: we still hold CAP_SYS_ADMIN here.
  if (::syscall(SYS_landlock_restrict_self, ruleset.get(), 0) < 0)
    throw SysError("confine exec to the root: landlock_restrict_self");
}

}  // namespace vsrv::isolation
