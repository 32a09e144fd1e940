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

}  // namespace vsrv::runtime
