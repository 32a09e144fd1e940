// state, list, ps.
#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

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
      st.oom_killed = cg->oom_kills() > 0;
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
  if (st.oom_killed) j["oomKilled"] = true;      // a process was OOM-killed (see stats)
  if (st.restarts) j["restarts"] = st.restarts;  // inits launched again (restart policy)
  return j.dump(2);
}

std::vector<State> list(const GlobalOptions& g) {
  StateStore store(g.root);
  const std::vector<std::string> ids = store.ids();
  // Reading a server's state is a handful of small kernel files (state.json,
  // /proc/PID/stat, two cgroup files), mostly path lookups: spread them over
  // the CPUs when there are many servers.
  std::vector<std::optional<State>> found(ids.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < ids.size();) {
      try {
        found[i] = current(store, ids[i]);
      } catch (const Error&) {
        // Being created or deleted right now: no state.json yet or any more.
      }
    }
  };
  const size_t threads = std::min<size_t>(std::thread::hardware_concurrency(), ids.size() / 64);
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  std::vector<State> out;
  out.reserve(ids.size());
  for (auto& st : found)
    if (st) out.push_back(std::move(*st));
  return out;
}

std::vector<pid_t> processes(const GlobalOptions& g, const std::string& id) {
  StateStore store(g.root);
  State st = store.read(id);
  if (st.cgroup_dirs.empty()) return {};
  return cgroups::Cgroup::load(st.cgroup_dirs)->pids();
}

}  // namespace vsrv::runtime
