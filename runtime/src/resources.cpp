// pause, resume and update: resource control of a live server.
#include <unistd.h>

#include <cmath>
#include <iostream>
#include <stdexcept>

#include "prepare.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/cgroups/cgroup.hpp"
#include "vsrv/runtime/server.hpp"
#include "vsrv/runtime/spec_parser.hpp"

namespace vsrv::runtime {

namespace {

constexpr uint64_t kDefaultCpuPeriod = 100000;

// The server's cgroup, locked and checked to be alive (created, running or paused).
struct Live {
  UniqueFd lock;
  State state;
  std::unique_ptr<cgroups::Cgroup> cgroup;
};

Live live_server(const GlobalOptions& g, const std::string& id) {
  StateStore store(g.root);
  Live l;
  l.lock = store.lock(id);
  l.state = store.derive(store.read(id));
  if (l.state.status == Status::kStopped || l.state.status == Status::kCreating)
    throw Error(ErrorKind::kState,
                "server " + id + " is " + status_name(l.state.status) + ", not running");
  if (l.state.cgroup_dirs.empty())
    throw Error(ErrorKind::kState, "server " + id + " has no cgroup recorded");
  l.cgroup = cgroups::Cgroup::load(l.state.cgroup_dirs);
  return l;
}

int64_t size_flag(const std::string& flag, const std::string& text) {
  try {
    return spec::parse_size(text);
  } catch (const std::invalid_argument&) {
    throw Error(ErrorKind::kUsage,
                flag + " " + text + ": not a size (use bytes or e.g. 256Mi, 1G; -1 = unlimited)");
  }
}

std::string read_resources_text(const std::string& path) {
  if (path != "-") return read_file(path);
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(0, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("read stdin");
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

void pause(const GlobalOptions& g, const std::string& id) {
  Live l = live_server(g, id);
  if (l.cgroup->frozen()) throw Error(ErrorKind::kState, "server " + id + " is paused already");
  l.cgroup->freeze();
}

void resume(const GlobalOptions& g, const std::string& id) {
  Live l = live_server(g, id);
  if (!l.cgroup->frozen())
    throw Error(ErrorKind::kState,
                "server " + id + " is " + status_name(l.state.status) + ", not paused");
  l.cgroup->thaw();
}

cgroups::Resources update_resources(const UpdateRequest& req) {
  cgroups::Resources r;
  if (!req.resources_file.empty()) {
    std::string text;
    try {
      text = read_resources_text(req.resources_file);
    } catch (const Error& e) {
      throw Error(ErrorKind::kUsage, std::string("-r: ") + e.what());
    }
    std::string name = req.resources_file == "-" ? "stdin" : req.resources_file;
    if (size_t slash = name.find_last_of('/'); slash != std::string::npos)
      name = name.substr(slash + 1);
    spec::ResourcesResult parsed = spec::parse_resources(text, name);
    for (const auto& w : parsed.warnings) std::cerr << "vsrv: warning: " << w << "\n";
    r = parsed.resources;
  }
  if (req.memory) r.memory.limit = size_flag("--memory", *req.memory);
  if (req.memory_swap) r.memory.swap = size_flag("--memory-swap", *req.memory_swap);
  if (req.memory_reservation)
    r.memory.reservation = size_flag("--memory-reservation", *req.memory_reservation);
  if (req.cpu_shares) r.cpu.shares = *req.cpu_shares;
  if (req.cpu_period) r.cpu.period = *req.cpu_period;
  if (req.cpu_quota) r.cpu.quota = *req.cpu_quota;
  if (req.cpus) {
    if (req.cpu_quota) throw Error(ErrorKind::kUsage, "--cpus and --cpu-quota cannot be combined");
    if (!(*req.cpus > 0) || !std::isfinite(*req.cpus))
      throw Error(ErrorKind::kUsage, "--cpus: must be a CPU count greater than 0");
    uint64_t period = r.cpu.period.value_or(kDefaultCpuPeriod);
    double quota = std::round(*req.cpus * static_cast<double>(period));
    if (quota > 1e15) throw Error(ErrorKind::kUsage, "--cpus: too large");
    r.cpu.period = period;
    r.cpu.quota = static_cast<int64_t>(quota);
  }
  if (req.cpuset_cpus) r.cpu.cpus = *req.cpuset_cpus;
  if (req.cpuset_mems) r.cpu.mems = *req.cpuset_mems;
  if (req.pids_limit) r.pids.limit = *req.pids_limit;

  const auto& m = r.memory;
  const auto& c = r.cpu;
  bool any = m.limit || m.swap || m.reservation || m.disable_oom_killer || m.swappiness ||
             c.shares || c.quota || c.period || c.burst || c.cpus || c.mems || c.idle ||
             r.pids.limit || !r.unified.empty() || r.devices || !r.block_io.empty() ||
             !r.hugepage_limits.empty() || !r.network.empty() || !r.rdma.empty();
  if (!any)
    throw Error(ErrorKind::kUsage,
                "update: nothing to change (give --memory, --cpus, --pids-limit, ... or -r FILE)");
  spec::Spec s = spec::default_spec();
  s.linux.resources = r;
  spec::validate(s, "update");
  return r;
}

void update(const GlobalOptions& g, const UpdateRequest& req) {
  cgroups::Resources r = update_resources(req);  // every usage error before the lock
  Live l = live_server(g, req.id);
  if (r.devices) {
    // The update's rules replace the spec's, on top of the same base.
    StateStore store(g.root);
    spec::Spec s = parse_server_spec(read_file(store.spec_path(req.id)), l.state.spec_source).spec;
    r.devices = spec::server_device_rules(s.linux.devices, r.devices);
  }
  l.cgroup->apply(r);
}

}  // namespace vsrv::runtime
