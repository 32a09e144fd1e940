#include "v1.hpp"

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "cgfs.hpp"
#include "v2.hpp"
#include "vsrv/base/error.hpp"

namespace vsrv::cgroups::detail {

std::unique_ptr<V1Cgroup> V1Cgroup::create(const Hierarchies& h,
                                           const std::vector<std::string>& comps, bool absolute) {
  auto base = [&](const std::string& mount, const std::string& own) {
    return absolute || own == "/" ? mount : mount + own;
  };
  DirRollback rollback;
  std::vector<V1Dir> v1;
  for (const V1Hierarchy& x : h.v1) {
    bool cpuset =
        std::find(x.controllers.begin(), x.controllers.end(), "cpuset") != x.controllers.end();
    v1.push_back({x.controllers, make_cgroup_dirs(base(x.mount, x.own), comps, rollback, cpuset)});
  }
  std::optional<std::string> unified;
  if (h.v2) unified = make_cgroup_dirs(base(h.v2->mount, h.v2->own), comps, rollback, false);
  rollback.commit();
  return std::make_unique<V1Cgroup>(std::move(v1), std::move(unified));
}

std::vector<std::string> V1Cgroup::dirs() const {
  std::vector<std::string> out;
  for (const V1Dir& d : v1_) out.push_back(d.dir);
  if (unified_) out.push_back(*unified_);
  return out;
}

const std::string* V1Cgroup::find(const std::string& controller) const {
  for (const V1Dir& d : v1_)
    if (std::find(d.controllers.begin(), d.controllers.end(), controller) != d.controllers.end())
      return &d.dir;
  return nullptr;
}

const std::string& V1Cgroup::need(const std::string& controller, const std::string& field) const {
  if (const std::string* dir = find(controller)) return *dir;
  throw Error(field + ": no cgroup v1 " + controller +
              " hierarchy is mounted under /sys/fs/cgroup");
}

void V1Cgroup::add(pid_t pid) {
  std::string p = std::to_string(pid);
  for (const std::string& dir : dirs()) {
    int err = write_errno(join(dir, "cgroup.procs"), p);
    if (err) throw SysError("add pid " + p + " to cgroup " + dir, err);
  }
}

std::vector<pid_t> V1Cgroup::pids() const {
  // The union over every hierarchy: a process moved to a sub-cgroup in one
  // of them is still in this cgroup.
  std::vector<pid_t> out;
  for (const std::string& dir : dirs()) collect_procs(dir, out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void V1Cgroup::set_freezer(bool freeze) {
  const std::string* dir = find("freezer");
  if (!dir) {
    if (unified_) return v2_freeze(*unified_, freeze);
    throw Error(std::string(freeze ? "freeze" : "thaw") + ": no freezer hierarchy is mounted");
  }
  std::string state = join(*dir, "freezer.state");
  const char* want = freeze ? "FROZEN" : "THAWED";
  write_or_throw(state, want);
  // v1 has no change notification for freezer.state: poll it with short
  // waits, bounded (FREEZING turns FROZEN once every task has stopped).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    auto now = read_opt(state);
    if (now && *now == want) return;
    if (std::chrono::steady_clock::now() > deadline) {
      if (freeze) write_errno(state, "THAWED");
      throw Error(std::string(freeze ? "freeze " : "thaw ") + *dir + ": still " +
                  now.value_or("missing") + " after 10 s");
    }
    // Re-writing FROZEN retries tasks that were busy at the last attempt.
    if (freeze) write_errno(state, want);
    sleep_ms(1);
  }
}

void V1Cgroup::freeze() {
  set_freezer(true);
}
void V1Cgroup::thaw() {
  set_freezer(false);
}

bool V1Cgroup::frozen() const {
  if (const std::string* dir = find("freezer"))
    return read_opt(join(*dir, "freezer.state")) == "FROZEN";
  return unified_ && v2_frozen(*unified_);
}

void V1Cgroup::kill_all(int sig) {
  // Hybrid host: the cgroup2 directory holds every process too, and its
  // cgroup.kill kills them all at once (and reports emptiness by event).
  if (sig == SIGKILL && unified_ && v2_has_kill(*unified_)) {
    write_or_throw(join(*unified_, "cgroup.kill"), "1");
    // Tasks stopped by the v1 freezer act on the SIGKILL once thawed.
    if (find("freezer") && frozen()) thaw();
    if (wait_events(*unified_, "populated", "0", 10000) && pids().empty()) return;
    // Else someone left the cgroup2 directory: go on below.
  }
  bool was_frozen = frozen();
  bool can_freeze = find("freezer") || unified_;
  for (int round = 0;; ++round) {
    bool froze = false;
    if (can_freeze) {
      try {
        freeze();  // nothing forks between listing and signalling
        froze = true;
      } catch (const Error&) {
        // A task that cannot be frozen (e.g. in uninterruptible sleep) still gets the signal.
      }
    }
    for (pid_t pid : pids())
      if (::kill(pid, sig) < 0 && errno != ESRCH)
        throw SysError("kill " + std::to_string(pid) + " in cgroup " + dirs().front());
    if (froze && (sig == SIGKILL || !was_frozen)) thaw();
    if (sig != SIGKILL) return;
    // v1 has no "empty" event: bounded wait with short sleeps, signalling
    // again every 100 ms.
    for (int i = 0; i < 100; ++i) {
      if (pids().empty()) return;
      sleep_ms(1);
    }
    if (round >= 50)
      throw Error("kill cgroup " + dirs().front() + ": processes remain after SIGKILL");
  }
}

void V1Cgroup::remove() {
  std::optional<Error> first;
  for (const std::string& dir : dirs()) {
    try {
      remove_cgroup_dir(dir);
    } catch (const Error& e) {
      if (!first) first = e;
    }
  }
  if (first) throw *first;
}

}  // namespace vsrv::cgroups::detail
