// state, list, ps.
#include <nlohmann/json.hpp>

#include "vsrv/base/error.hpp"
#include "vsrv/cgroups/cgroup.hpp"
#include "vsrv/runtime/server.hpp"

namespace vsrv::runtime {

namespace {

State current(const StateStore& store, const std::string& id) {
  State st = store.derive(store.read(id));
  if (!st.cgroup_dirs.empty()) {
    try {
      auto cg = cgroups::Cgroup::load(st.cgroup_dirs);
      if (st.status == Status::kRunning && cg->frozen()) st.status = Status::kPaused;
      st.oom_killed = cg->stats().memory.oom_kills > 0;
    } catch (const Error&) {
    }
  }
  return st;
}

}  // namespace

std::string state_json(const GlobalOptions& g, const std::string& id) {
  StateStore store(g.root);
  State st = current(store, id);
  nlohmann::json j = {{"ociVersion", "1.0.2"},
                      {"id", st.id},
                      {"status", status_name(st.status)},
                      {"pid", st.status == Status::kStopped ? 0 : st.pid},
                      {"bundle", st.bundle},
                      {"rootfs", st.rootfs},
                      {"created", st.created},
                      {"owner", ""}};
  if (!st.annotations.empty()) j["annotations"] = st.annotations;
  if (!st.template_name.empty()) j["template"] = st.template_name;
  if (st.exit_status) j["exitStatus"] = *st.exit_status;
  if (st.oom_killed) j["oomKilled"] = true;  // a process was OOM-killed (see stats)
  return j.dump(2);
}

std::vector<State> list(const GlobalOptions& g) {
  StateStore store(g.root);
  std::vector<State> out;
  for (const auto& id : store.ids()) {
    try {
      out.push_back(current(store, id));
    } catch (const Error&) {
      // Being created or deleted right now: no state.json yet or any more.
    }
  }
  return out;
}

std::vector<pid_t> processes(const GlobalOptions& g, const std::string& id) {
  StateStore store(g.root);
  State st = store.read(id);
  if (st.cgroup_dirs.empty()) return {};
  return cgroups::Cgroup::load(st.cgroup_dirs)->pids();
}

}  // namespace vsrv::runtime
