#include "v2.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "cgfs.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/cgroups/parse.hpp"

namespace vsrv::cgroups::detail {

namespace {
constexpr int kWaitMs = 10000;
}

bool v2_has_kill(const std::string& dir) {
  return ::access(join(dir, "cgroup.kill").c_str(), F_OK) == 0;
}

void v2_kill(const std::string& dir) {
  write_or_throw(join(dir, "cgroup.kill"), "1");
  if (!wait_events(dir, "populated", "0", kWaitMs))
    throw Error("kill cgroup " + dir + ": processes remain 10 s after cgroup.kill");
}

void v2_freeze(const std::string& dir, bool freeze) {
  std::string file = join(dir, "cgroup.freeze");
  if (::access(file.c_str(), F_OK) != 0)
    throw Error((freeze ? "freeze " : "thaw ") + dir + ": cgroup.freeze is missing (kernel < 5.2)");
  write_or_throw(file, freeze ? "1" : "0");
  // An empty cgroup has nothing to thaw; its "frozen 1" can outlive the
  // thaw when its last tasks exited while it was frozen (fatal signals do).
  auto done = [freeze](const std::string& events) {
    return key_value(events, "frozen") == (freeze ? "1" : "0") ||
           (!freeze && key_value(events, "populated") == "0");
  };
  if (wait_events_until(dir, done, kWaitMs)) return;
  if (freeze) write_errno(file, "0");  // don't leave it half frozen
  throw Error((freeze ? "freeze " : "thaw ") + dir + ": not done after 10 s");
}

bool v2_frozen(const std::string& dir) {
  // Frozen as asked (cgroup.freeze) and as done (cgroup.events), as runc reads it.
  if (read_opt(join(dir, "cgroup.freeze")) != "1") return false;
  auto events = read_opt(join(dir, "cgroup.events"));
  return events && key_value(*events, "frozen") == "1";
}

V2Cgroup::V2Cgroup(std::string mount, std::string base, std::string dir, bool caller_base)
    : mount_(std::move(mount)),
      base_(std::move(base)),
      dir_(std::move(dir)),
      caller_base_(caller_base) {
  // Missing when a removed cgroup is loaded again: remove() stays possible.
  fd_.reset(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

std::unique_ptr<V2Cgroup> V2Cgroup::create(const V2Hierarchy& h,
                                           const std::vector<std::string>& comps, bool absolute) {
  std::string own = absolute || h.own == "/" ? h.mount : h.mount + h.own;
  DirRollback rollback;
  std::string existing;
  std::string leaf = make_cgroup_dirs(own, comps, rollback, false, &existing);
  auto cg = std::make_unique<V2Cgroup>(h.mount, absolute ? existing : own, leaf, !absolute);
  if (!cg->fd_) throw SysError("open " + leaf);
  rollback.commit();
  cg->enable_available();
  return cg;
}

void V2Cgroup::add(pid_t pid) {
  int err = write_errno(join(dir_, "cgroup.procs"), std::to_string(pid));
  if (err) throw SysError("add pid " + std::to_string(pid) + " to cgroup " + dir_, err);
}

std::vector<pid_t> V2Cgroup::pids() const {
  std::vector<pid_t> out;
  collect_procs(dir_, out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void V2Cgroup::kill_all(int sig) {
  if (sig == SIGKILL && v2_has_kill(dir_)) return v2_kill(dir_);
  // Without cgroup.kill: freeze so that nothing forks between listing and
  // signalling, signal each process, thaw (a paused cgroup stays paused unless
  // the signal is SIGKILL).
  bool was_frozen = v2_frozen(dir_);
  for (int round = 0;; ++round) {
    bool froze = false;
    try {
      v2_freeze(dir_, true);
      froze = true;
    } catch (const Error&) {
    }
    for (pid_t pid : pids())
      if (::kill(pid, sig) < 0 && errno != ESRCH)
        throw SysError("kill " + std::to_string(pid) + " in cgroup " + dir_);
    if (froze && (sig == SIGKILL || !was_frozen)) v2_freeze(dir_, false);
    if (sig != SIGKILL) return;
    if (wait_events(dir_, "populated", "0", 1000)) return;
    if (round >= 10) throw Error("kill cgroup " + dir_ + ": processes remain after SIGKILL");
  }
}

void V2Cgroup::remove() {
  fd_.reset();
  remove_cgroup_dir(dir_);
}

void V2Cgroup::enable(const std::string& controller, const std::string& field) {
  auto has = [&](const std::string& dir, const char* file) {
    auto text = read_opt(join(dir, file));
    if (!text) return false;
    for (const std::string& c : split(*text, ' '))
      if (c == controller) return true;
    return false;
  };
  if (!has(base_, "cgroup.controllers"))
    throw Error(field + ": the " + controller + " controller is not available in " + base_ +
                " (not enabled in its parent's cgroup.subtree_control, or not delegated)");
  // base_ and the directories below it down to dir_'s parent, top first.
  std::vector<std::string> chain;
  for (std::string d = parent_of(dir_); d.size() >= base_.size(); d = parent_of(d)) {
    chain.push_back(d);
    if (d == base_) break;
  }
  std::reverse(chain.begin(), chain.end());
  for (const std::string& d : chain) {
    if (has(d, "cgroup.subtree_control")) continue;
    // "No internal processes": a non-root cgroup with processes can't enable
    // controllers for its children.
    if (d == base_ && d != mount_ && !read_procs(d).empty()) {
      if (!caller_base_)
        throw Error(field + ": cannot enable the " + controller + " controller below " + d +
                    ": the cgroup holds processes; pass a cgroupsPath under a cgroup without "
                    "processes (a delegated parent)");
      move_to_caller_leaf(field);
    }
    int err = write_errno(join(d, "cgroup.subtree_control"), "+" + controller);
    if (err)
      throw SysError(
          field + ": enable the " + controller + " controller in " + d + "/cgroup.subtree_control",
          err);
  }
}

void V2Cgroup::enable_available() {
  auto offered = read_opt(join(base_, "cgroup.controllers"));
  if (!offered) return;
  for (const std::string& c : split(*offered, ' ')) {
    if (c != "cpu" && c != "io" && c != "memory" && c != "pids") continue;
    try {
      enable(c, "enable the " + c + " controller");
    } catch (const Error&) {
      // apply() names the limit that needs it.
    }
  }
}

void V2Cgroup::move_to_caller_leaf(const std::string& field) {
  std::string leaf = join(base_, kCallerLeaf);
  if (::mkdir(leaf.c_str(), 0755) < 0 && errno != EEXIST)
    throw SysError(field + ": " + base_ + " holds processes and mkdir " + leaf);
  // New processes may be forked into base_ while we move: a few rounds.
  for (int round = 0; round < 100; ++round) {
    std::vector<pid_t> procs = read_procs(base_);
    if (procs.empty()) return;
    for (pid_t p : procs) {
      int err = write_errno(join(leaf, "cgroup.procs"), std::to_string(p));
      if (err && err != ESRCH)
        throw SysError(field + ": " + base_ + " holds processes; moving pid " + std::to_string(p) +
                           " into " + leaf,
                       err);
    }
  }
  throw Error(field + ": " + base_ + " still holds processes after moving them into " + leaf);
}

}  // namespace vsrv::cgroups::detail
