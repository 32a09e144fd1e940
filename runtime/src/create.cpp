#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>

#include "build.hpp"
#include "hooks.hpp"
#include "monitor.hpp"
#include "network.hpp"
#include "prepare.hpp"
#include "process_setup.hpp"
#include "seccomp_cache.hpp"
#include "server_idmap.hpp"
#include "server_storage.hpp"
#include "undo.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/base/proc.hpp"
#include "vsrv/cgroups/cgroup.hpp"

namespace vsrv::runtime {

namespace {

std::string now_rfc3339() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  ::gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[96];
  std::snprintf(out, sizeof out, "%s.%09ldZ", buf, ts.tv_nsec);
  return out;
}

UniqueFd connect_console_socket(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw SysError("socket");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    throw Error(ErrorKind::kUsage, "--console-socket " + path + ": path too long");
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0)
    throw SysError("--console-socket " + path);
  return fd;
}

// In a new user namespace the init is root of that namespace only: the exec
// fifo it reopens must belong to the host ids its root maps to (as runc does).
void chown_to_server_root(const std::string& path, const spec::Spec& s) {
  bool new_user = false;
  for (const auto& ns : s.linux.namespaces)
    if (ns.type == isolation::NsType::kUser && ns.path.empty()) new_user = true;
  if (!new_user) return;
  auto host_of_root = [](const std::vector<isolation::IdMap>& maps) -> std::optional<uint32_t> {
    for (const auto& m : maps)
      if (m.container_id == 0 && m.size > 0) return m.host_id;
    return std::nullopt;
  };
  auto uid = host_of_root(s.linux.uid_mappings), gid = host_of_root(s.linux.gid_mappings);
  if (!uid && !gid) return;
  if (::chown(path.c_str(), uid ? *uid : static_cast<uid_t>(-1),
              gid ? *gid : static_cast<gid_t>(-1)) < 0)
    throw SysError("chown " + path);
}

void kill_and_reap(pid_t pid, int pidfd) {
  if (pidfd >= 0)
    pidfd_send_signal(pidfd, SIGKILL);
  else
    ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

// The monitor side of a fork: launches the init, reports, then becomes
// vsrv-monitor (program).
[[noreturn]] void monitor_child(const InitConfig& cfg, cgroups::Cgroup& cg, int report_fd,
                                UniqueFd output_read, int output_write,
                                const std::string& exit_path, int log_fd,
                                const std::string& program,
                                const std::vector<std::string>& relaunch, pid_t creator) {
  try {
    // Until it has reported, the monitor dies with the vsrv that forked it:
    // a create killed halfway must not leave it building a server no state
    // records (delete --force would not find it; its init then gives up).
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || ::getppid() != creator) ::_exit(1);
    int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull >= 0) {
      for (int i = 0; i < 3; ++i) ::dup2(devnull, i);
      ::close(devnull);
    }
    // The monitor outlives this command: it must not keep the caller's fds
    // (a pipe to `vsrv run -d | cat` would never see EOF) nor our lock.
    // The server's disk, if any, is closed (close-on-exec) once the init has
    // mounted it: a relaunch opens it again.
    const int disk_fd = cfg.plan.overlay.empty() ? -1 : cfg.plan.overlay.front().disk_fd;
    close_fds_except({report_fd, output_read.get(), output_write, log_fd, cfg.fifo_fd,
                      cfg.console_fd, cfg.stdio.in, cfg.stdio.out, cfg.stdio.err,
                      cg.clone_into_fd(), disk_fd});
    ::setsid();
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    Launched l = launch(cfg, cg);
    if (output_write >= 0) ::close(output_write);
    // From here on the monitor outlives vsrv: clear the death signal before
    // reporting, or vsrv exiting right after reading the report kills it. A
    // vsrv killed now leaves an init in the cgroup it recorded first.
    ::prctl(PR_SET_PDEATHSIG, 0);
    std::string ok = "OK " + std::to_string(l.pid) + " " + std::to_string(l.start_time);
    write_all(report_fd, ok.data(), ok.size());
    ::close(report_fd);
    int out = l.pty_master ? l.pty_master.release() : output_read.release();
    exec_monitor(program, exit_path, l.pidfd.get(), out, log_fd, relaunch);
    // No monitor: the init would run with nobody to reap it.
    kill_and_reap(l.pid, l.pidfd.get());
  } catch (const std::exception& e) {
    std::string msg = std::string("E") + e.what();
    try {
      write_all(report_fd, msg.data(), msg.size());
    } catch (...) {
    }
  }
  ::_exit(1);
}

}  // namespace

InitConfig init_config(const GlobalOptions& g, const std::string& id, const Prepared& p,
                       bool no_pivot, int disk_fd, const NetPlan& net, const State& st) {
  InitConfig cfg;
  cfg.spec = &p.spec;
  cfg.net = &net;
  cfg.state = &st;
  cfg.plan = mount_plan(g, id, p, no_pivot, disk_fd);
  if (p.spec.linux.seccomp) cfg.seccomp = cached_seccomp(g.root, *p.spec.linux.seccomp);
  return cfg;
}

DetachedStdio detached_stdio(InitConfig& cfg, bool terminal, bool to_console) {
  DetachedStdio io;
  io.devnull.reset(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!io.devnull) throw SysError("open /dev/null");
  cfg.stdio.in = io.devnull.get();
  if (terminal) {
    cfg.send_pty_to_parent = !to_console;
  } else {
    io.output = Pipe::make();
    cfg.stdio.out = cfg.stdio.err = io.output.write.get();
  }
  return io;
}

Built build_server(const GlobalOptions& g, const CreateRequest& req, Parent parent, bool attached,
                   bool force_terminal) {
  return build_prepared(g, req, prepare(g, req), parent, attached, force_terminal, false);
}

Built build_prepared(const GlobalOptions& g, const CreateRequest& req, Prepared p, Parent parent,
                     bool attached, bool force_terminal, bool reuse_data) {
  if (force_terminal) p.spec.process.terminal = true;
  if (p.spec.process.terminal && parent == Parent::kCaller && req.console_socket.empty() &&
      !attached)
    throw Error(ErrorKind::kUsage,
                "process.terminal: a terminal needs --console-socket, or run -t (attached)");
  for (const auto& w : p.warnings) std::cerr << "vsrv: warning: " << w << "\n";

  StateStore store(g.root);
  store.create_dir(req.id);
  UniqueFd lock;
  try {
    lock = store.lock(req.id);
  } catch (...) {
    store.remove(req.id);
    throw;
  }
  Undo undo;
  undo.push([store, id = req.id] { store.remove(id); });

  State st;
  st.id = req.id;
  st.status = Status::kCreating;
  st.creator_pid = ::getpid();
  st.creator_start = process_start_time(st.creator_pid).value_or(0);
  st.bundle = p.bundle;
  st.rootfs = p.rootfs;
  st.spec_source = p.source_name;
  st.template_name = p.template_name;
  st.created = now_rfc3339();
  st.annotations = p.spec.annotations;
  st.stop_signal = p.spec.vsrv.stop_signal.value_or(SIGTERM);
  st.hooks = later_hooks_json(p.spec.hooks);
  write_file_atomic(store.spec_path(req.id), p.source_text, 0600, false);
  store.write(st);
  if (p.spec.vsrv.idmap_auto) hold_id_range(g, p, st, store, reuse_data, undo);
  if (::mkfifo(store.fifo_path(req.id).c_str(), 0600) < 0) throw SysError("mkfifo exec.fifo");
  chown_to_server_root(store.fifo_path(req.id), p.spec);

  std::string data_dir = server_data_dir(g, req.id);
  Storage storage = make_storage(g, req, p, reuse_data, undo);

  std::string cg_path =
      p.spec.linux.cgroups_path.empty() ? "vsrv/" + req.id : p.spec.linux.cgroups_path;
  // Recorded before they exist, so that delete --force finds them when this
  // create is killed between making them and recording them.
  st.cgroup_dirs = cgroups::Cgroup::dirs_for(cg_path);
  st.cgroup_parents = cgroups::Cgroup::parents_made_for(cg_path);
  store.write(st);
  std::shared_ptr<cgroups::Cgroup> cg = cgroups::Cgroup::create(cg_path);
  undo.push([cg] {
    cg->kill_all(SIGKILL);
    cg->remove();
  });
  st.cgroup_dirs = cg->dirs();
  store.write(st);
  cgroups::Resources resources = p.spec.linux.resources;
  resources.devices = spec::server_device_rules(p.spec.linux.devices, resources.devices);
  cg->apply(resources);

  NetPlan net = plan_network(g, p.spec, req.id, st.net);
  undo.push([g, id = req.id, recorded = st.net] { teardown_network(g, id, recorded, true); });
  store.write(st);
  forward_ports(net);

  InitConfig cfg = init_config(g, req.id, p, req.no_pivot, storage.disk.get(), net, st);
  UniqueFd fifo(::open(store.fifo_path(req.id).c_str(), O_PATH | O_CLOEXEC));
  if (!fifo) throw SysError("open exec.fifo");
  cfg.fifo_fd = fifo.get();
  UniqueFd console;
  if (!req.console_socket.empty()) {
    console = connect_console_socket(req.console_socket);
    cfg.console_fd = console.get();
  }

  Built out;
  if (parent == Parent::kCaller) {
    cfg.send_pty_to_parent = p.spec.process.terminal && !console;
    out.launched = launch(cfg, *cg);
    undo.push(
        [pid = out.launched.pid, pidfd = out.launched.pidfd.get()] { kill_and_reap(pid, pidfd); });
    st.pid = out.launched.pid;
    st.pid_start = out.launched.start_time;
  } else {
    DetachedStdio io = detached_stdio(cfg, p.spec.process.terminal, static_cast<bool>(console));
    std::string log_path = data_dir + "/console.log";
    UniqueFd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
    if (!log) throw SysError("create " + log_path);
    const std::string program = monitor_program();
    const std::vector<std::string> relaunch = relaunch_command(g, p.spec.vsrv.restart, req.id);
    Pipe report = Pipe::make();
    const pid_t creator = ::getpid();
    pid_t m = ::fork();
    if (m < 0) throw SysError("fork monitor");
    if (m == 0) {
      lock.reset();
      p.template_lock.reset();  // held by a running server, it would block `template rm`
      report.read.reset();
      monitor_child(cfg, *cg, report.write.release(), std::move(io.output.read),
                    io.output.write.release(), store.exit_path(req.id), log.release(), program,
                    relaunch, creator);
    }
    report.write.reset();
    io.output = Pipe{};
    std::string msg;
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(report.read.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      msg.append(buf, static_cast<size_t>(n));
    }
    if (msg.rfind("OK ", 0) != 0) {
      kill_and_reap(m, -1);
      throw Error(msg.empty() ? "monitor exited during create" : msg.substr(1));
    }
    auto parts = split(msg.substr(3), ' ');
    st.pid = std::stoi(parts.at(0));
    st.pid_start = std::stoull(parts.at(1));
    st.monitor_pid = m;
    st.monitor_start = process_start_time(m).value_or(0);
    undo.push([m] { kill_and_reap(m, -1); });
  }
  st.status = Status::kCreated;
  st.creator_pid = 0;
  st.creator_start = 0;
  store.write(st);
  if (!req.pid_file.empty())
    write_file_atomic(absolute_path(req.pid_file), std::to_string(st.pid), 0644);
  undo.dismiss();
  out.state = st;
  return out;
}

void create(const GlobalOptions& g, const CreateRequest& req) {
  build_server(g, req, req.engine_mode() ? Parent::kCaller : Parent::kMonitor, false, false);
}

}  // namespace vsrv::runtime
