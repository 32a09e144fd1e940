// stats: a server's usage, limits and failure counters.
#include <nlohmann/json.hpp>

#include "vsrv/base/error.hpp"
#include "vsrv/cgroups/cgroup.hpp"
#include "vsrv/runtime/server.hpp"

namespace vsrv::runtime {

namespace {

nlohmann::json limit_json(const std::optional<uint64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

cgroups::Stats stats(const GlobalOptions& g, const std::string& id) {
  StateStore store(g.root);
  State st = store.read(id);
  if (st.cgroup_dirs.empty())
    throw Error(ErrorKind::kState, "server " + id + " has no cgroup recorded");
  return cgroups::Cgroup::load(st.cgroup_dirs)->stats();
}

std::string stats_json(const cgroups::Stats& s) {
  using nlohmann::json;
  const auto& c = s.cpu;
  const auto& m = s.memory;
  json j = {{"cpu",
             {{"usage",
               {{"total", c.usage_usec * 1000},
                {"user", c.user_usec * 1000},
                {"kernel", c.system_usec * 1000}}},
              {"throttling",
               {{"periods", c.periods},
                {"throttledPeriods", c.throttled_periods},
                {"throttledTime", c.throttled_usec * 1000}}},
              {"limit", {{"quota", limit_json(c.quota_usec)}, {"period", c.period_usec}}}}},
            {"memory",
             {{"usage",
               {{"usage", m.usage},
                {"max", m.peak},
                {"limit", limit_json(m.limit)},
                {"failcnt", m.failcnt}}},
              {"swapUsage",
               {{"usage", m.swap_usage},
                {"limit", limit_json(m.swap_limit)},
                {"failcnt", m.swap_failcnt}}},
              {"oomEvents", m.oom_events},
              {"oomKills", m.oom_kills}}},
            {"pids",
             {{"current", s.pids.current},
              {"limit", limit_json(s.pids.limit)},
              {"failcnt", s.pids.failcnt}}},
            {"io",
             {{"readBytes", s.io.read_bytes},
              {"writeBytes", s.io.write_bytes},
              {"readOps", s.io.read_ios},
              {"writeOps", s.io.write_ios}}}};
  return j.dump();
}

}  // namespace vsrv::runtime
