// OCI hooks: programs the spec names, run at fixed points of a server's
// life with the server's state (OCI state JSON) on their stdin.
//
//   prestart, createRuntime  host side, after the init built its mounts and
//                            before it pivots (launch.cpp, on the init's ask)
//   createContainer          in the init, same moment, in its namespaces
//   startContainer           in the init after `start`, before the exec
//   poststart                host side, once `start` released the init
//   poststop                 host side, at delete
//
// A failed hook of the first four fails the operation (the server is torn
// down); poststart and poststop failures are warnings, as OCI says.
#pragma once

#include <string>
#include <vector>

#include "vsrv/runtime/spec.hpp"
#include "vsrv/runtime/state.hpp"

namespace vsrv::runtime {

// {"ociVersion","id","status","pid","bundle","annotations"}.
std::string hook_state_json(const State& st, const std::string& status);

// Runs the hooks in order; each gets state on stdin, its own args and env,
// and is killed after its timeout (seconds; none: no limit). Throws
// Error("<kind> hook <path>: <why>") at the first failure.
void run_hooks(const std::vector<spec::Hook>& hooks, const std::string& kind,
               const std::string& state);
// The same, but a failure is a warning on stderr and the next hook runs.
void run_hooks_warn(const std::vector<spec::Hook>& hooks, const std::string& kind,
                    const std::string& state);

// Whether the init must stop before pivoting for the hooks (prestart,
// createRuntime, createContainer or startContainer present).
bool needs_hook_stop(const spec::Hooks& h);

// poststart and poststop, kept in the state so start and delete need not
// read the spec again; empty when there are none.
std::string later_hooks_json(const spec::Hooks& h);
std::vector<spec::Hook> later_hooks(const std::string& json, const std::string& kind);

}  // namespace vsrv::runtime
