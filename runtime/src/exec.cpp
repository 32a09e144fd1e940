// `exec`: another process inside a running server, with the same isolation
// as its init: every namespace, the cgroup, user, capabilities, no_new_privs
// and seccomp. The joining child is non-dumpable and holds no host fd.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "launch.hpp"
#include "prepare.hpp"
#include "process_setup.hpp"
#include "seccomp_cache.hpp"
#include "terminal.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/base/proc.hpp"
#include "vsrv/cgroups/cgroup.hpp"
#include "vsrv/isolation/namespaces.hpp"
#include "vsrv/runtime/server.hpp"
#include "vsrv/runtime/spec_parser.hpp"

namespace vsrv::runtime {

namespace {

// The process to run: the server's spec process with the request's overrides.
spec::Spec exec_spec(const StateStore& store, const State& st, const ExecRequest& req) {
  spec::Spec s = parse_server_spec(read_file(store.spec_path(st.id)), st.spec_source).spec;
  if (!req.process_file.empty()) {
    // An OCI process object, read by the one spec parser.
    std::string text = read_file(req.process_file);
    std::string wrapped = "{\"ociVersion\": \"1.0.2\", \"process\": " + text + "}";
    spec::Spec p = spec::parse(wrapped, req.process_file).spec;
    s.process = p.process;
  }
  spec::Process& pr = s.process;
  if (!req.args.empty()) pr.args = req.args;
  for (const auto& kv : req.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error(ErrorKind::kUsage, "-e " + kv + ": must be KEY=VALUE");
    std::string key = kv.substr(0, eq + 1);
    std::erase_if(pr.env, [&](const std::string& e) { return e.rfind(key, 0) == 0; });
    pr.env.push_back(kv);
  }
  if (!req.cwd.empty()) {
    if (req.cwd[0] != '/')
      throw Error(ErrorKind::kUsage, "--cwd " + req.cwd + ": must be absolute");
    pr.cwd = req.cwd;
  }
  if (req.uid) pr.user.uid = *req.uid;
  if (req.gid) pr.user.gid = *req.gid;
  if (req.uid || req.gid) pr.user.additional_gids.clear();
  pr.terminal = req.tty || (!req.process_file.empty() && pr.terminal);
  if (pr.args.empty()) throw Error(ErrorKind::kUsage, "exec: no command given");
  return s;
}

[[noreturn]] void exec_child(const spec::Spec& s, const isolation::SeccompProgram* seccomp,
                             const isolation::ProcessNamespaces& ns, int sock, int console_fd) {
  try {
    // Nothing in the server may ptrace us or read our memory before execve.
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    std::vector<int> keep = {sock, console_fd};
    for (const auto& entry : ns.fds) keep.push_back(entry.second);
    close_fds_except(keep);
    Message go = recv_message(sock);
    if (go.data != std::string(1, sync_msg::kGo)) ::_exit(1);
    isolation::join_process_namespaces(ns, false);
    apply_process_limits(s.process);
    if (s.process.terminal) {
      UniqueFd master = open_terminal();
      send_message(console_fd >= 0 ? console_fd : sock, "T", master.get());
    }
    std::string exe = prepare_exec(s.process);
    send_message(sock, std::string(1, sync_msg::kReady));
    exec_process(s.process, exe, seccomp);
  } catch (const std::exception& e) {
    try {
      send_message(sock, std::string(1, sync_msg::kError) + e.what());
    } catch (...) {
    }
  }
  ::_exit(127);
}

}  // namespace

int exec(const GlobalOptions& g, const ExecRequest& req) {
  StateStore store(g.root);
  spec::Spec s;
  State st;
  isolation::ProcessNamespaces ns;
  std::unique_ptr<cgroups::Cgroup> cg;
  UniqueFd init_pidfd;
  {
    UniqueFd lock = store.lock(req.id);
    st = store.derive(store.read(req.id));
    if (st.status != Status::kRunning)
      throw Error(ErrorKind::kState,
                  "server " + req.id + " is " + status_name(st.status) + ", not running");
    s = exec_spec(store, st, req);
    init_pidfd.reset(pidfd_open(st.pid));
    ns = isolation::open_process_namespaces(st.pid);
    // The namespaces we opened belong to the init we recorded, not a reused pid.
    if (!init_pidfd || !process_alive(st.pid, st.pid_start)) {
      ns.close();
      throw Error(ErrorKind::kState, "server " + req.id + " is stopped, not running");
    }
    cg = cgroups::Cgroup::load(st.cgroup_dirs);
  }
  struct NsCloser {
    isolation::ProcessNamespaces& ns;
    ~NsCloser() { ns.close(); }
  } ns_closer{ns};

  UniqueFd console;
  if (!req.console_socket.empty()) {
    console.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", req.console_socket.c_str());
    if (!console || ::connect(console.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
      throw SysError("--console-socket " + req.console_socket);
  }
  // Compiled (or read from the cache) here: the joining child only loads it.
  std::optional<isolation::SeccompProgram> seccomp;
  if (s.linux.seccomp) seccomp = cached_seccomp(g.root, *s.linux.seccomp);
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) throw SysError("socketpair");
  UniqueFd parent_sock(sv[0]), child_sock(sv[1]);

  // Joining the pid namespace affects only our children: fork after it.
  for (const auto& [type, fd] : ns.fds) {
    if (type == isolation::NsType::kPid && ::setns(fd, CLONE_NEWPID) < 0)
      throw SysError("join the server's pid namespace");
  }
  pid_t pid = ::fork();
  if (pid < 0) throw SysError("fork");
  if (pid == 0) {
    parent_sock.reset();
    exec_child(s, seccomp ? &*seccomp : nullptr, ns, child_sock.get(), console.get());
  }
  child_sock.reset();
  UniqueFd pidfd(pidfd_open(pid));
  bool ok = false;
  struct Reaper {
    pid_t pid;
    bool& ok;
    ~Reaper() {
      if (ok) return;
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  } reaper{pid, ok};

  cg->add(pid);
  send_message(parent_sock.get(), std::string(1, sync_msg::kGo));
  UniqueFd master;
  for (;;) {
    Message m = recv_message(parent_sock.get());
    if (m.data.empty()) break;  // execve closed the socket: the process runs
    if (m.data[0] == sync_msg::kError) throw Error("exec in " + req.id + ": " + m.data.substr(1));
    if (m.data[0] == 'T') master = std::move(m.fd);
  }
  ok = true;
  if (!req.pid_file.empty())
    write_file_atomic(absolute_path(req.pid_file), std::to_string(pid), 0644);
  if (req.detach) return 0;
  return attach_and_wait(pid, pidfd.get(), master ? master.get() : -1);
}

}  // namespace vsrv::runtime
