#include <unistd.h>

#include "build.hpp"
#include "terminal.hpp"
#include "vsrv/base/error.hpp"

namespace vsrv::runtime {

int run(const GlobalOptions& g, const RunRequest& req) {
  const std::string& id = req.create.id;
  if (req.detach) {
    if (req.tty && req.create.console_socket.empty())
      throw Error(ErrorKind::kUsage, "-t with -d needs --console-socket");
    create(g, req.create);
    try {
      start(g, id);
    } catch (...) {
      remove(g, id, true);
      throw;
    }
    return 0;
  }
  Built b = build_server(g, req.create, Parent::kCaller, true, req.tty);
  try {
    start(g, id);
  } catch (...) {
    remove(g, id, true);
    throw;
  }
  int code = attach_and_wait(b.launched.pid, b.launched.pidfd.get(),
                             b.launched.pty_master ? b.launched.pty_master.get() : -1);
  StateStore store(g.root);
  try {
    store.write_exit(id, code);
  } catch (...) {
    // deleted meanwhile
  }
  if (req.rm) remove(g, id, true);
  return code;
}

}  // namespace vsrv::runtime
