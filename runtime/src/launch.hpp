// Starting a server's init: the parent side (clone, id maps, cgroup,
// handshake) and the child side (everything up to execve).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "network.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/fd_passing.hpp"
#include "vsrv/cgroups/cgroup.hpp"
#include "vsrv/isolation/seccomp_program.hpp"
#include "vsrv/rootfs/mount_tree.hpp"
#include "vsrv/runtime/spec.hpp"

namespace vsrv::runtime {

// Where the init's standard streams go.
struct Stdio {
  int in = -1, out = -1, err = -1;  // -1: inherit the caller's
};

// Everything the init needs, prepared before clone so the child does no parsing.
struct InitConfig {
  const spec::Spec* spec = nullptr;
  rootfs::Plan plan;
  Stdio stdio;
  int fifo_fd = -1;                 // O_PATH fd of exec.fifo: the init waits there for `start`
  int console_fd = -1;              // connected console socket (--console-socket), or -1
  bool send_pty_to_parent = false;  // terminal without console socket: master goes to the parent
  bool wait_for_start = true;  // false: exec right after setup (the monitor restarting a server)
  std::optional<isolation::SeccompProgram> seccomp;  // compiled linux.seccomp (from the cache)
  const State* state = nullptr;                      // for OCI hooks (id, bundle, annotations)
  const NetPlan* net = nullptr;  // bridge/routed: host side in launch, NIC in the init
};

struct Launched {
  pid_t pid = 0;
  uint64_t start_time = 0;
  UniqueFd pidfd;
  UniqueFd pty_master;  // when send_pty_to_parent
};

// Clones the init with the spec's namespaces, writes id maps, places it in
// the cgroup, and waits until the init has built its root and stands at
// the exec fifo. On failure the init is killed and reaped, and an Error
// carrying the init's own message is thrown.
Launched launch(const InitConfig& cfg, cgroups::Cgroup& cgroup);

// Whether the init starts with its rootfs as cwd, its only way there when
// it is in a new user namespace (launch.cpp): it creates user and mount namespaces.
bool starts_in_rootfs(const spec::Spec& s);

// The child side; never returns.
[[noreturn]] void init_main(const InitConfig& cfg, int sync_fd);

// Messages on the parent/child sync socket (SOCK_SEQPACKET).
namespace sync_msg {
constexpr char kGo = 'G';         // parent -> child: maps written, cgroup joined
constexpr char kReady = 'R';      // child -> parent: root built, waiting at the fifo
constexpr char kError = 'E';      // child -> parent: 'E' + message
constexpr char kHooks = 'H';      // child -> parent: mounts made, run prestart/createRuntime hooks
constexpr char kHooksDone = 'h';  // parent -> child: 'h' + the state JSON for its own hooks
}  // namespace sync_msg

}  // namespace vsrv::runtime
