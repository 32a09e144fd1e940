// The child side of a server's start: runs in the cloned process, inside its
// new namespaces, and ends in execve of the user's process. Nothing here
// re-executes vsrv; the vsrv binary is never reachable from the server.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "hooks.hpp"
#include "launch.hpp"
#include "process_setup.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/isolation/namespaces.hpp"
#include "vsrv/isolation/network.hpp"
#include "vsrv/isolation/process.hpp"
#include "vsrv/isolation/sysctl.hpp"
#include "vsrv/rootfs/mount_tree.hpp"

namespace vsrv::runtime {

namespace {

using isolation::NsType;

bool creates(const spec::Spec& s, NsType t) {
  for (const auto& ns : s.linux.namespaces)
    if (ns.type == t && ns.path.empty()) return true;
  return false;
}

void dup_stdio(const Stdio& io) {
  int fds[3] = {io.in, io.out, io.err};
  for (int i = 0; i < 3; ++i) {
    if (fds[i] < 0) continue;
    if (::dup2(fds[i], i) < 0) throw SysError("set up standard stream " + std::to_string(i));
  }
}

void report_error(int fd, const std::string& msg) {
  if (fd < 0) return;
  try {
    send_message(fd, std::string(1, sync_msg::kError) + msg);
  } catch (...) {
  }
}

}  // namespace

[[noreturn]] void init_main(const InitConfig& cfg, int sync_fd) {
  int report_fd = sync_fd;  // where errors go: the sync socket, then the exec fifo
  bool fifo_phase = false;
  try {
    const spec::Spec& s = *cfg.spec;
    const int disk_fd = cfg.plan.overlay.empty() ? -1 : cfg.plan.overlay.front().disk_fd;
    close_fds_except({sync_fd, cfg.fifo_fd, cfg.console_fd, cfg.stdio.in, cfg.stdio.out,
                      cfg.stdio.err, disk_fd});
    UniqueFd rootfs_place;  // our cwd, in our own mount namespace (launch.cpp)
    if (starts_in_rootfs(s)) {
      rootfs_place.reset(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!rootfs_place) throw SysError("rootfs " + cfg.plan.rootfs);
    }
    // Go may carry the root mount the parent made for us (vsrv.idmap).
    Message go = recv_message(sync_fd);
    if (go.data.size() != 1 || go.data[0] != sync_msg::kGo) ::_exit(1);  // parent gave up

    if (creates(s, NsType::kUser)) {
      if (::setresgid(0, 0, 0) < 0) throw SysError("become root of the user namespace (gid 0)");
      if (::setresuid(0, 0, 0) < 0) throw SysError("become root of the user namespace (uid 0)");
    }
    isolation::join_namespace_paths(s.linux.namespaces);
    // Joined after the parent placed us in our cgroup, so that cgroup is our root.
    if (creates(s, NsType::kCgroup) && ::unshare(CLONE_NEWCGROUP) < 0)
      throw SysError("create cgroup namespace");
    if (creates(s, NsType::kUts) && !s.hostname.empty()) isolation::set_hostname(s.hostname);
    dup_stdio(cfg.stdio);
    if (creates(s, NsType::kNetwork)) isolation::bring_up_loopback();
    if (cfg.net && !cfg.net->mode.empty()) isolation::configure_nic(cfg.net->nic);
    // OCI hooks stop the build once the mounts are made: the parent runs
    // prestart/createRuntime, then createContainer runs here (host paths
    // still resolve); startContainer runs after start, inside the root.
    std::string hook_state;
    auto hooks_before_pivot = [&] {
      send_message(sync_fd, std::string(1, sync_msg::kHooks));
      Message done = recv_message(sync_fd);
      if (done.data.empty() || done.data[0] != sync_msg::kHooksDone) ::_exit(1);  // parent gave up
      hook_state = done.data.substr(1);
      run_hooks(s.hooks.create_container, "createContainer", hook_state);
    };
    const bool hook_stop = needs_hook_stop(s.hooks);
    if (s.has_namespace(NsType::kMount)) {
      rootfs::Plan plan = cfg.plan;
      plan.rootfs_fd = rootfs_place.get();
      plan.root_mount_fd = go.fd.get();
      if (hook_stop) plan.before_pivot = hooks_before_pivot;
      rootfs::build(plan);
    } else if (hook_stop) {
      hooks_before_pivot();
    }
    // After the network is set up (net.* keys may name its interfaces).
    isolation::apply_sysctls(s.linux.sysctl);
    apply_process_limits(s.process);

    if (s.process.terminal) {
      UniqueFd master = open_terminal();
      if (cfg.console_fd >= 0)
        send_message(cfg.console_fd, "T", master.get());
      else if (cfg.send_pty_to_parent)
        send_message(sync_fd, "T", master.get());
    } else if (::setsid() < 0 && errno != EPERM) {
      throw SysError("setsid");
    }
    std::string exe = prepare_exec(s.process);

    send_message(sync_fd, std::string(1, sync_msg::kReady));
    if (cfg.wait_for_start) {
      // Block until `start` opens the fifo for reading. The fd is an O_PATH
      // handle opened on the host side; reopen it through our own /proc.
      std::string reopen = "/proc/self/fd/" + std::to_string(cfg.fifo_fd);
      int w;
      do {
        w = ::open(reopen.c_str(), O_WRONLY | O_CLOEXEC);
      } while (w < 0 && errno == EINTR);
      if (w < 0) throw SysError("wait for start: open exec fifo");
      ::close(cfg.fifo_fd);
      report_fd = w;
      fifo_phase = true;
    } else {
      report_fd = -1;  // nobody waits for an error any more: the exit status tells
    }
    ::close(sync_fd);
    if (!s.hooks.start_container.empty()) {
      const std::string creating = "\"status\":\"creating\"", created = "\"status\":\"created\"";
      std::string started = hook_state;
      if (auto at = started.find(creating); at != std::string::npos)
        started.replace(at, creating.size(), created);
      run_hooks(s.hooks.start_container, "startContainer", started);
    }
    exec_process(s.process, exe, cfg.seccomp ? &*cfg.seccomp : nullptr);  // returns only on failure
  } catch (const std::exception& e) {
    if (fifo_phase) {
      std::string msg = std::string(1, sync_msg::kError) + e.what();
      try {
        write_all(report_fd, msg.data(), msg.size());
      } catch (...) {
      }
    } else {
      report_error(report_fd, e.what());
    }
  }
  ::_exit(1);
}

}  // namespace vsrv::runtime
