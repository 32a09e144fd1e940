#include "restart.hpp"

#include <time.h>
#include <unistd.h>

#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/runtime/state.hpp"

namespace vsrv::runtime {
namespace {

double now_s() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void note(int log_fd, const std::string& msg) {
  if (log_fd < 0) return;
  std::string line = "vsrv: " + msg + "\n";
  try {
    write_all(log_fd, line.data(), line.size());
  } catch (...) {
  }
}

bool still_wanted(const StateStore& store, const std::string& id) {
  try {
    State st = store.read(id);
    return st.monitor_pid == ::getpid() && !st.stop_requested;
  } catch (const Error&) {
    return false;  // deleted
  }
}

}  // namespace

bool restart_wanted(const std::string& policy, const siginfo_t& info) {
  if (policy == "always") return true;
  bool killed = info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED;
  return policy == "on-reboot" && killed && info.si_status == SIGHUP;
}

Restart make_restart(const std::string& root, const std::string& id, const InitConfig& cfg,
                     cgroups::Cgroup& cg, int log_fd) {
  const std::string policy = cfg.spec->vsrv.restart;
  if (policy != "on-reboot" && policy != "always") return {};
  InitConfig next = cfg;
  next.wait_for_start = false;
  double started = now_s();
  return [=, &cg](const siginfo_t& info) mutable -> std::optional<Relaunched> {
    if (!restart_wanted(policy, info)) return std::nullopt;
    StateStore store(root);
    // stop and delete mark the state before they signal, and hold the lock
    // while they wait for us: look without the lock first.
    if (!still_wanted(store, id)) return std::nullopt;
    if (now_s() - started < 1.0) ::sleep(1);  // no tight loop of an init that fails at once
    UniqueFd lock;
    State st;
    try {
      lock = store.lock(id);
      st = store.read(id);
    } catch (const Error&) {
      return std::nullopt;  // deleted meanwhile
    }
    if (st.monitor_pid != ::getpid() || st.stop_requested) return std::nullopt;
    note(log_fd, policy == "always" ? "the server's init exited; starting it again"
                                    : "the server rebooted; starting it again");
    Launched l;
    try {
      l = launch(next, cg);
    } catch (const std::exception& e) {
      note(log_fd, std::string("restart failed: ") + e.what());
      return std::nullopt;
    }
    started = now_s();
    st.pid = l.pid;
    st.pid_start = l.start_time;
    st.status = Status::kRunning;
    st.restarts += 1;
    store.write(st);
    return Relaunched{l.pidfd.release(), l.pty_master ? l.pty_master.release() : -1};
  };
}

}  // namespace vsrv::runtime
