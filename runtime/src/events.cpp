// events: OOM notifications as the kernel reports them, and periodic stats,
// as JSON lines in runc's shape.
#include <poll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <nlohmann/json.hpp>

#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/base/proc.hpp"
#include "vsrv/cgroups/cgroup.hpp"
#include "vsrv/runtime/server.hpp"

namespace vsrv::runtime {

namespace {

void write_line(int fd, const nlohmann::json& j) {
  std::string line = j.dump() + "\n";
  write_all(fd, line.data(), line.size());
}

UniqueFd interval_timer(int interval_ms) {
  UniqueFd fd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!fd) throw SysError("timerfd_create");
  struct itimerspec its = {};
  its.it_interval.tv_sec = interval_ms / 1000;
  its.it_interval.tv_nsec = (interval_ms % 1000) * 1000000L;
  its.it_value = its.it_interval;
  if (::timerfd_settime(fd.get(), 0, &its, nullptr) < 0) throw SysError("timerfd_settime");
  return fd;
}

}  // namespace

void events(const GlobalOptions& g, const std::string& id, bool stats_once, int interval_ms,
            int out_fd) {
  if (interval_ms <= 0) throw Error(ErrorKind::kUsage, "--interval: must be greater than 0");
  StateStore store(g.root);
  State st = store.derive(store.read(id));
  if (st.status == Status::kStopped || st.status == Status::kCreating)
    throw Error(ErrorKind::kState,
                "server " + id + " is " + status_name(st.status) + ", not running");
  if (st.cgroup_dirs.empty())
    throw Error(ErrorKind::kState, "server " + id + " has no cgroup recorded");
  auto cg = cgroups::Cgroup::load(st.cgroup_dirs);
  auto emit_stats = [&] {
    write_line(
        out_fd,
        {{"type", "stats"}, {"id", id}, {"data", nlohmann::json::parse(stats_json(cg->stats()))}});
  };
  if (stats_once) return emit_stats();

  // The init's pidfd tells when the server stops.
  UniqueFd init(pidfd_open(st.pid));
  if (!init || !process_alive(st.pid, st.pid_start))
    throw Error(ErrorKind::kState, "server " + id + " is stopped, not running");
  std::unique_ptr<cgroups::OomWatch> oom = cg->watch_oom();
  UniqueFd timer = interval_timer(interval_ms);
  auto emit_ooms = [&] {
    for (uint64_t n = oom->consume(); n > 0; --n) write_line(out_fd, {{"type", "oom"}, {"id", id}});
  };
  emit_stats();
  for (;;) {
    struct pollfd fds[3] = {
        {oom->fd(), POLLIN, 0}, {timer.get(), POLLIN, 0}, {init.get(), POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      throw SysError("poll");
    }
    if (fds[0].revents & POLLIN) emit_ooms();
    if (oom->gone()) return;
    if (fds[1].revents & POLLIN) {
      uint64_t ticks;
      if (::read(timer.get(), &ticks, sizeof ticks) == sizeof ticks) emit_stats();
    }
    if (fds[2].revents & POLLIN) {
      // An OOM that killed the init may be reported (v2 delays notifications
      // by up to 10 ms) after the exit: the counter is read once more.
      emit_ooms();
      return;
    }
  }
}

}  // namespace vsrv::runtime
