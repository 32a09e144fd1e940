#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include "build.hpp"
#include "launch.hpp"
#include "monitor.hpp"
#include "network.hpp"
#include "prepare.hpp"
#include "saved_server.hpp"
#include "server_idmap.hpp"
#include "server_storage.hpp"
#include "undo.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/base/proc.hpp"
#include "vsrv/cgroups/cgroup.hpp"
#include "vsrv/runtime/server.hpp"
#include "vsrv/runtime/state.hpp"

namespace vsrv::runtime {
namespace {

void note(int log_fd, const std::string& msg) {
  if (log_fd < 0) return;
  std::string line = "vsrv: " + msg + "\n";
  try {
    write_all(log_fd, line.data(), line.size());
  } catch (...) {
  }
}

// The exit code, as the monitor would have written it; then nothing is left
// for this process to do.
[[noreturn]] void stay_stopped(const StateStore& store, const std::string& id, int code) {
  try {
    store.write_exit(id, code);
  } catch (...) {
    // The server was deleted meanwhile.
  }
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  ::_exit(0);
}

struct Relaunched {
  Launched launched;
  UniqueFd output_read;  // the new init's output pipe (no terminal)
  std::string policy;
};

// Builds the init again the way create did, from what is on disk.
Relaunched launch_again(const GlobalOptions& g, const std::string& id, const StateStore& store,
                        State& st) {
  std::optional<SavedServer> saved = load_saved_server(g, id);
  if (!saved) throw Error("no saved record of the server");
  Prepared p = prepare_text(g, id, saved->bundle, saved->spec_source, saved->spec_text,
                            saved->template_name);
  CreateRequest req;
  req.id = id;
  req.no_pivot = saved->no_pivot;
  Undo keep;  // a relaunch keeps what the server holds, whatever happens
  if (p.spec.vsrv.idmap_auto) hold_id_range(g, p, st, store, true, keep);
  Storage storage = make_storage(g, req, p, true, keep);
  keep.dismiss();
  NetPlan net = replan_network(g, p.spec, st.net);

  InitConfig cfg = init_config(g, id, p, saved->no_pivot, storage.disk.get(), net, st);
  cfg.wait_for_start = false;
  DetachedStdio io = detached_stdio(cfg, p.spec.process.terminal, false);
  auto cg = cgroups::Cgroup::load(st.cgroup_dirs);
  Relaunched out;
  out.launched = launch(cfg, *cg);
  out.output_read = std::move(io.output.read);
  out.policy = p.spec.vsrv.restart;
  return out;
}

}  // namespace

void relaunch(const GlobalOptions& g, const std::string& id, int log_fd, int exit_code) {
  // vsrv-monitor runs this in its own process, a child subreaper.
  int subreaper = 0;
  if (::prctl(PR_GET_CHILD_SUBREAPER, &subreaper) < 0 || !subreaper)
    throw Error(ErrorKind::kUsage, "relaunch " + id + ": only a server's monitor runs this");
  StateStore store(g.root);
  auto read = [&]() -> std::optional<State> {
    try {
      return store.read(id);
    } catch (const Error&) {
      return std::nullopt;  // deleted meanwhile: no exit to record
    }
  };
  std::optional<State> seen = read();
  if (seen && seen->monitor_pid != ::getpid())
    throw Error(ErrorKind::kUsage, "relaunch " + id + ": only the server's monitor runs this");
  // stop and delete mark the state before they signal, and hold the lock
  // while they wait for us: look without the lock first.
  if (!seen) ::_exit(0);
  if (seen->stop_requested) stay_stopped(store, id, exit_code);
  UniqueFd lock = store.lock(id);
  State st;
  if (auto now = read(); now && now->monitor_pid == ::getpid())
    st = *now;
  else
    ::_exit(0);  // deleted, or made again with a monitor of its own
  if (st.stop_requested) stay_stopped(store, id, exit_code);
  Relaunched r;
  std::string program;
  try {
    program = monitor_program();
    r = launch_again(g, id, store, st);
  } catch (const std::exception& e) {
    note(log_fd, std::string("restart failed: ") + e.what());
    stay_stopped(store, id, exit_code);
  }
  note(log_fd, r.policy == "always" ? "the server's init exited; it was started again"
                                    : "the server rebooted; it was started again");
  st.pid = r.launched.pid;
  st.pid_start = r.launched.start_time;
  st.status = Status::kRunning;
  st.restarts += 1;
  store.write(st);
  lock.reset();
  const int out = r.launched.pty_master ? r.launched.pty_master.release() : r.output_read.release();
  exec_monitor(program, store.exit_path(id), r.launched.pidfd.get(), out, log_fd,
               relaunch_command(g, r.policy, id));
  // No monitor: the init would run with nobody to reap it.
  pidfd_send_signal(r.launched.pidfd.get(), SIGKILL);
  stay_stopped(store, id, exit_code);
}

}  // namespace vsrv::runtime
