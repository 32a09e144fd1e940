#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "prepare.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/runtime/server.hpp"

namespace vsrv::runtime {

namespace {

void copy_rest(int from, int to) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(from, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    write_all(to, buf, static_cast<size_t>(n));
  }
}

bool stopped(const StateStore& store, const std::string& id) {
  try {
    return store.derive(store.read(id)).status == Status::kStopped;
  } catch (const Error&) {
    return true;  // deleted
  }
}

}  // namespace

void logs(const GlobalOptions& g, const std::string& id, bool follow, int out_fd) {
  StateStore store(g.root);
  store.read(id);  // throws when there is no such server
  std::string path = server_data_dir(g, id) + "/console.log";
  UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) {
    if (errno == ENOENT)
      throw Error(ErrorKind::kState,
                  "server " + id + " has no log: only detached servers keep one");
    throw SysError("open " + path);
  }
  UniqueFd ino;
  if (follow) {
    // New output, and the exit file the monitor writes (renamed into place).
    ino.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!ino) throw SysError("inotify_init");
    if (::inotify_add_watch(ino.get(), path.c_str(), IN_MODIFY) < 0 ||
        ::inotify_add_watch(ino.get(), store.dir(id).c_str(), IN_MOVED_TO | IN_DELETE_SELF) < 0)
      throw SysError("inotify_add_watch");
  }
  for (;;) {
    copy_rest(in.get(), out_fd);
    if (!follow) return;
    if (stopped(store, id)) {
      copy_rest(in.get(), out_fd);
      return;
    }
    struct pollfd p = {ino.get(), POLLIN, 0};
    if (::poll(&p, 1, -1) < 0 && errno != EINTR) throw SysError("poll");
    char buf[4096];
    while (::read(ino.get(), buf, sizeof buf) > 0) {
    }
  }
}

}  // namespace vsrv::runtime
