// The lifecycle of servers: what each `vsrv` verb does. Every function
// validates its input before any side effect and undoes its own steps on
// failure. Errors are vsrv::Error with kUsage (exit 1) or kState (exit 2).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "vsrv/cgroups/cgroup.hpp"
#include "vsrv/runtime/options.hpp"
#include "vsrv/runtime/state.hpp"

namespace vsrv::runtime {

struct CreateRequest {
  std::string id;
  std::string bundle;          // -b; default: the spec file's directory, else cwd
  std::string spec_file;       // -f
  std::string template_name;   // --template (overrides vsrv.template)
  std::string pid_file;        // --pid-file
  std::string console_socket;  // --console-socket
  bool no_pivot = false;
  // With --pid-file or --console-socket the caller (an engine) brings its
  // own monitor, as with runc; otherwise vsrv starts a small one.
  bool engine_mode() const { return !pid_file.empty() || !console_socket.empty(); }
};

struct RunRequest {
  CreateRequest create;
  bool detach = false;  // -d
  bool tty = false;     // -t: force process.terminal
  bool rm = false;      // --rm: delete after the process exits
};

struct ExecRequest {
  std::string id;
  std::vector<std::string> args;
  std::vector<std::string> env;  // K=V, added to (or replacing in) the spec's env
  std::string cwd;
  std::optional<uint32_t> uid, gid;
  bool tty = false;
  bool detach = false;
  std::string process_file;  // --process: an OCI process JSON replacing the spec's
  std::string pid_file;
  std::string console_socket;
};

void create(const GlobalOptions& g, const CreateRequest& req);
void start(const GlobalOptions& g, const std::string& id);
// The restart policy (vsrv.restart) at work: vsrv-monitor decides from the
// init's exit (runtime/monitor/main.c: on-reboot restarts an init killed by
// SIGHUP, the kernel's word for reboot(2) in its pid namespace; always
// restarts any exit) and executes `vsrv ... relaunch ID LOG_FD CODE` in its
// own process. Under the server's lock this launches the init again from the
// saved spec, over the same upper layer (or disk), cgroup and addresses,
// records its pid and one more restart, and executes vsrv-monitor for it.
// When a stop or delete was asked meanwhile (state.stopRequested, another
// monitor recorded, the server gone) or the launch fails, it writes
// exit_code to the server's exit file instead. Messages go to log_fd.
[[noreturn]] void relaunch(const GlobalOptions& g, const std::string& id, int log_fd,
                           int exit_code);
// Returns the process's exit code (128+signal when killed); 0 when detached.
int run(const GlobalOptions& g, const RunRequest& req);
int exec(const GlobalOptions& g, const ExecRequest& req);

// OCI state JSON of one server.
std::string state_json(const GlobalOptions& g, const std::string& id);
// Every server, status derived from the live system.
std::vector<State> list(const GlobalOptions& g);
// Host pids of every process in the server.
std::vector<pid_t> processes(const GlobalOptions& g, const std::string& id);

void kill(const GlobalOptions& g, const std::string& id, int sig, bool all);
// The stop signal, then SIGKILL to everything after timeout seconds.
void stop(const GlobalOptions& g, const std::string& id, int timeout_seconds);
// delete; force stops it first and cleans half-created servers; with force
// an unknown id is not an error.
void remove(const GlobalOptions& g, const std::string& id, bool force);

// Copies the detached server's log to out_fd; with follow, keeps copying
// until the server stops.
void logs(const GlobalOptions& g, const std::string& id, bool follow, int out_fd);

// Signal by name ("TERM", "SIGTERM", "9"); throws kUsage.
int parse_signal(const std::string& text);

std::string features_json();

// Resource control (resources.cpp, stats.cpp, events.cpp).

// Freezes every process of a running server (returns once frozen) / thaws a
// paused one. Wrong state: kState.
void pause(const GlobalOptions& g, const std::string& id);
void resume(const GlobalOptions& g, const std::string& id);

// `update`: new limits for a live server. Only what is set changes; flags
// override the -r file. Sizes as in specs ("256Mi", -1 = unlimited).
struct UpdateRequest {
  std::string id;
  std::string resources_file;  // -r: OCI linux.resources JSON (or YAML); "-" = stdin
  std::optional<std::string> memory, memory_swap, memory_reservation;
  std::optional<double> cpus;  // CPU count -> quota over the period
  std::optional<uint64_t> cpu_shares, cpu_period;
  std::optional<int64_t> cpu_quota;
  std::optional<std::string> cpuset_cpus, cpuset_mems;
  std::optional<int64_t> pids_limit;
};
// The resources an update request asks for, validated like a spec's (kUsage).
cgroups::Resources update_resources(const UpdateRequest& req);
void update(const GlobalOptions& g, const UpdateRequest& req);

// Usage, limits and failure counters of a server's cgroup.
cgroups::Stats stats(const GlobalOptions& g, const std::string& id);
// The "data" object of a stats event (runc's field names where they exist;
// null = unlimited).
std::string stats_json(const cgroups::Stats& s);

// `events`: JSON lines on out_fd: {"type":"oom","id":ID} as the kernel
// reports OOMs (no polling) and {"type":"stats","id":ID,"data":{...}} now and
// every interval_ms; returns when the server stops. stats_once: one stats
// line, then return.
void events(const GlobalOptions& g, const std::string& id, bool stats_once, int interval_ms,
            int out_fd);

}  // namespace vsrv::runtime
