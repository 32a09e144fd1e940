#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "hooks.hpp"
#include "launch.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/proc.hpp"
#include "vsrv/runtime/server.hpp"

namespace vsrv::runtime {

void start(const GlobalOptions& g, const std::string& id) {
  StateStore store(g.root);
  UniqueFd lock = store.lock(id);
  State st = store.derive(store.read(id));
  if (st.status != Status::kCreated)
    throw Error(ErrorKind::kState,
                "server " + id + " is " + status_name(st.status) + ", not created");

  UniqueFd pidfd(pidfd_open(st.pid));
  if (!pidfd || !process_alive(st.pid, st.pid_start))
    throw Error(ErrorKind::kState, "server " + id + " is stopped, not created");
  // Opening the read side releases the init blocked in open(O_WRONLY). It
  // then execs, which closes its end (close-on-exec): EOF means success,
  // data is its error message.
  UniqueFd fifo(::open(store.fifo_path(id).c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo) throw SysError("start " + id + ": open exec fifo");
  std::string msg;
  struct pollfd fds[2] = {{fifo.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
  bool done = false;
  while (!done) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw SysError("poll");
    }
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      char buf[4096];
      ssize_t n = ::read(fifo.get(), buf, sizeof buf);
      if (n > 0) {
        msg.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        done = true;
      }
    } else if (fds[1].revents & POLLIN) {
      // Died before it ever opened the fifo.
      if (msg.empty())
        msg = std::string(1, sync_msg::kError) + "the server's init exited before start";
      done = true;
    }
  }
  ::unlink(store.fifo_path(id).c_str());
  if (!msg.empty()) {
    throw Error(ErrorKind::kSystem,
                "start " + id + ": " + (msg[0] == sync_msg::kError ? msg.substr(1) : msg));
  }
  st.status = Status::kRunning;
  store.write(st);
  if (!st.hooks.empty())
    run_hooks_warn(later_hooks(st.hooks, "poststart"), "poststart", hook_state_json(st, "running"));
}

}  // namespace vsrv::runtime
