// The lifecycle of servers: what each `vsrv` verb does. Every function
// validates its input before any side effect and undoes its own steps on
// failure. Errors are vsrv::Error with kUsage (exit 1) or kState (exit 2).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

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

}  // namespace vsrv::runtime
