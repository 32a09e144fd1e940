// kill, stop and delete.
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>

#include "hooks.hpp"
#include "network.hpp"
#include "prepare.hpp"
#include "server_idmap.hpp"
#include "teardown.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/base/proc.hpp"
#include "vsrv/cgroups/cgroup.hpp"
#include "vsrv/runtime/server.hpp"
#include "vsrv/runtime/spec_parser.hpp"

namespace vsrv::runtime {

namespace {

// A pidfd for pid only if it is still the process that started at start_time.
UniqueFd live_pidfd(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return UniqueFd();
  UniqueFd fd(pidfd_open(pid));
  if (!fd || !process_alive(pid, start_time)) return UniqueFd();
  return fd;
}

// Waits until the process exits; false on timeout. timeout_ms < 0: forever.
bool wait_exit(int pidfd, int timeout_ms) {
  struct pollfd p = {pidfd, POLLIN, 0};
  for (;;) {
    int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

// Tells the server's monitor that the coming exit is wanted: no restart.
// Written before any signal, so the monitor sees it without the lock.
void mark_stop_requested(const StateStore& store, const std::string& id) {
  State rec = store.read(id);
  if (rec.stop_requested) return;
  rec.stop_requested = true;
  store.write(rec);
}

// The server's cgroup from the dirs that exist: a create killed halfway
// records its dirs before it makes them. Null when there are none.
std::unique_ptr<cgroups::Cgroup> existing_cgroup(const State& st) {
  std::vector<std::string> dirs;
  struct stat sb;
  for (const auto& d : st.cgroup_dirs)
    if (::stat(d.c_str(), &sb) == 0) dirs.push_back(d);
  if (dirs.empty()) return nullptr;
  return cgroups::Cgroup::load(dirs);
}

void kill_everything(const State& st) {
  if (auto cg = existing_cgroup(st)) cg->kill_all(SIGKILL);
  if (UniqueFd fd = live_pidfd(st.pid, st.pid_start)) {
    pidfd_send_signal(fd.get(), SIGKILL);
    wait_exit(fd.get(), 5000);
  }
}

}  // namespace

void kill(const GlobalOptions& g, const std::string& id, int sig, bool all) {
  StateStore store(g.root);
  UniqueFd lock = store.lock(id);
  State st = store.derive(store.read(id));
  if (st.status == Status::kStopped || st.status == Status::kCreating)
    throw Error(ErrorKind::kState,
                "server " + id + " is " + status_name(st.status) + ", not running");
  if (all) {
    cgroups::Cgroup::load(st.cgroup_dirs)->kill_all(sig);
    return;
  }
  UniqueFd fd = live_pidfd(st.pid, st.pid_start);
  if (!fd) throw Error(ErrorKind::kState, "server " + id + " is stopped, not running");
  if (pidfd_send_signal(fd.get(), sig) < 0) throw SysError("kill " + id);
}

void stop(const GlobalOptions& g, const std::string& id, int timeout_seconds) {
  StateStore store(g.root);
  UniqueFd lock = store.lock(id);
  mark_stop_requested(store, id);
  State st = store.derive(store.read(id));
  if (st.status == Status::kStopped) return;
  UniqueFd fd = live_pidfd(st.pid, st.pid_start);
  if (!fd) return;
  auto cg = cgroups::Cgroup::load(st.cgroup_dirs);
  if (st.status == Status::kPaused || cg->frozen()) cg->thaw();
  if (st.status == Status::kCreated) {
    pidfd_send_signal(fd.get(), SIGKILL);
  } else {
    pidfd_send_signal(fd.get(), st.stop_signal);
  }
  if (!wait_exit(fd.get(), timeout_seconds * 1000)) {
    cg->kill_all(SIGKILL);
    pidfd_send_signal(fd.get(), SIGKILL);
    wait_exit(fd.get(), -1);
  }
  // The monitor records the exit status as it exits: wait for it, so that
  // state and list show the status as soon as stop returns.
  if (UniqueFd mon = live_pidfd(st.monitor_pid, st.monitor_start)) wait_exit(mon.get(), 2000);
}

void remove_server(const GlobalOptions& g, const std::string& id, bool force, bool keep_data) {
  StateStore store(g.root);
  struct stat sb;
  if (::stat(store.dir(id).c_str(), &sb) < 0) {
    // No state (--root is a tmpfs: the host restarted) but data kept for
    // the server: it is a stopped server, its data goes.
    bool valid_id = true;
    try {
      spec::validate_id(id);
    } catch (const Error&) {
      valid_id = false;
    }
    if (valid_id && !keep_data && ::stat(server_data_dir(g, id).c_str(), &sb) == 0) {
      auto saved_range = saved_id_range(g, id);
      remove_tree(server_data_dir(g, id));
      release_id_ranges(g, id, std::nullopt, saved_range);
      return;
    }
    if (force) return;
    throw Error(ErrorKind::kState, "server " + id + " does not exist");
  }
  UniqueFd lock = store.lock(id);
  State st;
  bool have_state = true;
  try {
    st = store.derive(store.read(id));
  } catch (const Error&) {
    if (!force) throw;
    have_state = false;  // a create killed before it wrote any state
  }
  if (have_state) {
    if (st.status != Status::kStopped && st.status != Status::kCreated && !force)
      throw Error(ErrorKind::kState, "server " + id + " is " + status_name(st.status) +
                                         ": stop it first, or use delete --force");
    if (st.status == Status::kCreating && !force)
      throw Error(ErrorKind::kState, "server " + id + " is being created");
    mark_stop_requested(store, id);
    kill_everything(st);
    // Let the monitor record the exit before its directory goes away.
    if (UniqueFd mon = live_pidfd(st.monitor_pid, st.monitor_start)) wait_exit(mon.get(), 2000);
    if (auto cg = existing_cgroup(st)) cg->remove();
    // The parents a relative cgroupsPath made (vsrv/ in the caller's own
    // cgroups), once no other server is left in them.
    cgroups::Cgroup::remove_empty_parents(st.cgroup_dirs, st.cgroup_parents);
    teardown_network(g, id, st.net, force);
  }
  if (!keep_data) {
    // A range of host ids goes with the data whose files it owns, not before.
    auto saved_range = saved_id_range(g, id);
    remove_tree(server_data_dir(g, id));
    release_id_ranges(g, id, have_state ? st.idmap_base : std::nullopt, saved_range);
  }
  store.remove(id);
  if (have_state && !st.hooks.empty())
    run_hooks_warn(later_hooks(st.hooks, "poststop"), "poststop", hook_state_json(st, "stopped"));
}

void remove(const GlobalOptions& g, const std::string& id, bool force) {
  remove_server(g, id, force, false);
}

}  // namespace vsrv::runtime
