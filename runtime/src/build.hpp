// Building a server up to the `created` state; shared by create and run.
#pragma once

#include "launch.hpp"
#include "prepare.hpp"
#include "vsrv/runtime/server.hpp"

namespace vsrv::runtime {

// Who becomes the parent of the server's init.
enum class Parent {
  kMonitor,  // a small per-server monitor forked by vsrv (create, run -d)
  kCaller,   // this vsrv process (run attached) or, once it exits, the caller's subreaper (engines)
};

struct Built {
  State state;
  Launched launched;  // valid with Parent::kCaller
};

// Every step has its undo: on failure nothing of the server is left.
// attached: this process stays to serve the terminal (run without -d);
// force_terminal: -t.
Built build_server(const GlobalOptions& g, const CreateRequest& req, Parent parent, bool attached,
                   bool force_terminal);

// The same from a prepared spec. reuse_data: DATA/servers/ID is kept from an
// earlier life of the server (start --all-onboot) and survives a failure.
Built build_prepared(const GlobalOptions& g, const CreateRequest& req, Prepared p, Parent parent,
                     bool attached, bool force_terminal, bool reuse_data);

// The init's configuration from a prepared spec, as create and a relaunch
// (restart policy) both build it: the mount plan over the server's disk
// (disk_fd, -1: none), the network plan, the cached seccomp program. It
// points into p, net and st, which must outlive it.
InitConfig init_config(const GlobalOptions& g, const std::string& id, const Prepared& p,
                       bool no_pivot, int disk_fd, const NetPlan& net, const State& st);

// The stdio of a detached init: stdin on /dev/null; its output into a pipe
// whose read end goes to the monitor, or for a terminal a pty whose master
// launch returns (unless a console socket takes it: to_console).
struct DetachedStdio {
  UniqueFd devnull;
  Pipe output;  // empty for a terminal
};
DetachedStdio detached_stdio(InitConfig& cfg, bool terminal, bool to_console);

}  // namespace vsrv::runtime
