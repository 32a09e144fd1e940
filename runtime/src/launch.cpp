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
#include "launch.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/proc.hpp"
#include "vsrv/isolation/namespaces.hpp"

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

}  // namespace

Launched launch(const InitConfig& cfg, cgroups::Cgroup& cgroup) {
  const spec::Spec& s = *cfg.spec;
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) throw SysError("socketpair");
  UniqueFd parent_sock(sv[0]), child_sock(sv[1]);

  join_pid_namespace_path(s);
  // The cgroup namespace is created by the child once it sits in its cgroup.
  unsigned long flags = isolation::clone_flags(s.linux.namespaces) & ~static_cast<unsigned long>(CLONE_NEWCGROUP);

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
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) throw SysError("clone the server's init");
  if (pid == 0) {
    parent_sock.reset();
    init_main(cfg, child_sock.get());
  }
  child_sock.reset();
  Launched out;
  out.pid = static_cast<pid_t>(pid);
  out.pidfd.reset(pidfd);
  InitGuard guard{out.pid, pidfd};

  bool new_user = false;
  for (const auto& ns : s.linux.namespaces)
    if (ns.type == NsType::kUser && ns.path.empty()) new_user = true;
  if (new_user) isolation::write_id_maps(out.pid, s.linux.uid_mappings, s.linux.gid_mappings);
  if (cgfd < 0) cgroup.add(out.pid);
  // The init's network namespace exists now: the host side of its network
  // (its veth peer lands in there as eth0, which the init configures).
  if (cfg.net) setup_host_network(*cfg.net, out.pid);
  send_message(parent_sock.get(), std::string(1, sync_msg::kGo));

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
