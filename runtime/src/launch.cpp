#include "launch.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "hooks.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/proc.hpp"
#include "vsrv/isolation/namespaces.hpp"
#include "vsrv/rootfs/idmapped_overlay.hpp"

namespace vsrv::runtime {

namespace {

using isolation::NsType;

// Kills and reaps the init unless dismissed.
struct InitGuard {
  pid_t pid = 0;
  int pidfd = -1;
  ~InitGuard() {
    if (pid <= 0) return;
    if (pidfd >= 0)
      pidfd_send_signal(pidfd, SIGKILL);
    else
      ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
};

std::string describe_exit(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) == pid) {
    if (WIFEXITED(status)) return "init exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "init was killed by signal " + std::to_string(WTERMSIG(status));
  }
  return "init exited during setup";
}

// A pid namespace given by path is joined by the parent: it applies to children.
void join_pid_namespace_path(const spec::Spec& s) {
  for (const auto& ns : s.linux.namespaces) {
    if (ns.type != NsType::kPid || ns.path.empty()) continue;
    UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw SysError("open pid namespace " + ns.path);
    if (::setns(fd.get(), CLONE_NEWPID) < 0) throw SysError("join pid namespace " + ns.path);
  }
}

bool creates(const spec::Spec& s, NsType type) {
  for (const auto& ns : s.linux.namespaces)
    if (ns.type == type && ns.path.empty()) return true;
  return false;
}

// The process's cwd moved to dir for as long as it lives.
class CwdAt {
 public:
  explicit CwdAt(const std::string& dir) : back_(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) {
    if (!back_) throw SysError("open the current directory");
    UniqueFd there(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!there || ::fchdir(there.get()) < 0) throw SysError("rootfs " + dir);
  }
  ~CwdAt() {
    if (::fchdir(back_.get()) < 0) {
      // The old cwd is gone: nothing vsrv does later depends on it.
    }
  }
  CwdAt(const CwdAt&) = delete;
  CwdAt& operator=(const CwdAt&) = delete;

 private:
  UniqueFd back_;
};

// The root mount of a vsrv.idmap server, made here as host root once the
// init's user namespace has its maps: the overlay over the template
// idmapped through that namespace (rootfs/idmapped_overlay.hpp).
UniqueFd idmapped_root(const InitConfig& cfg, pid_t pid) {
  if (!cfg.spec->vsrv.idmap_auto || cfg.plan.overlay.empty()) return UniqueFd();
  const std::string path = "/proc/" + std::to_string(pid) + "/ns/user";
  UniqueFd userns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!userns) throw SysError("open " + path);
  return rootfs::idmapped_overlay(cfg.plan.overlay.front(), userns.get());
}

}  // namespace

bool starts_in_rootfs(const spec::Spec& s) {
  return creates(s, NsType::kUser) && creates(s, NsType::kMount);
}

Launched launch(const InitConfig& cfg, cgroups::Cgroup& cgroup) {
  const spec::Spec& s = *cfg.spec;
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) throw SysError("socketpair");
  UniqueFd parent_sock(sv[0]), child_sock(sv[1]);

  join_pid_namespace_path(s);
  // The cgroup namespace is created by the child once it sits in its cgroup.
  unsigned long flags =
      isolation::clone_flags(s.linux.namespaces) & ~static_cast<unsigned long>(CLONE_NEWCGROUP);

  int pidfd = -1;
  struct clone_args args = {};
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  int cgfd = cgroup.clone_into_fd();
  if (cgfd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgfd);
  }
  // An fd would still refer to the host's mount namespace; the cwd is
  // carried into the init's new one by clone. In a user namespace the
  // init may not look up the path of its rootfs (below DATA/servers/ID,
  // 0700): it starts there instead.
  std::optional<CwdAt> in_rootfs;
  if (starts_in_rootfs(s)) in_rootfs.emplace(cfg.plan.rootfs);
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) throw SysError("clone the server's init");
  if (pid == 0) {
    parent_sock.reset();
    init_main(cfg, child_sock.get());
  }
  in_rootfs.reset();
  child_sock.reset();
  Launched out;
  out.pid = static_cast<pid_t>(pid);
  out.pidfd.reset(pidfd);
  InitGuard guard{out.pid, pidfd};

  if (creates(s, NsType::kUser))
    isolation::write_id_maps(out.pid, s.linux.uid_mappings, s.linux.gid_mappings);
  if (cgfd < 0) cgroup.add(out.pid);
  UniqueFd root_mount = idmapped_root(cfg, out.pid);
  // The init's network namespace exists now: the host side of its network
  // (its veth peer lands in there as eth0, which the init configures).
  if (cfg.net) setup_host_network(*cfg.net, out.pid);
  send_message(parent_sock.get(), std::string(1, sync_msg::kGo), root_mount.get());
  root_mount.reset();

  for (;;) {
    Message m = recv_message(parent_sock.get());
    if (m.data.empty()) throw Error(describe_exit(out.pid));
    if (m.data[0] == sync_msg::kError) throw Error(m.data.substr(1));
    if (m.data[0] == 'T') {
      out.pty_master = std::move(m.fd);
      continue;
    }
    if (m.data[0] == sync_msg::kHooks) {
      // The init built its mounts and waits before pivoting: the host-side
      // hooks see its namespaces complete.
      State hs = cfg.state ? *cfg.state : State{};
      hs.pid = out.pid;
      std::string state = hook_state_json(hs, "creating");
      run_hooks(s.hooks.prestart, "prestart", state);
      run_hooks(s.hooks.create_runtime, "createRuntime", state);
      send_message(parent_sock.get(), std::string(1, sync_msg::kHooksDone) + state);
      continue;
    }
    if (m.data[0] == sync_msg::kReady) break;
  }
  auto start = process_start_time(out.pid);
  if (!start) throw Error(describe_exit(out.pid));
  out.start_time = *start;
  guard.pid = 0;  // dismissed
  return out;
}

}  // namespace vsrv::runtime
