// A fixture for lifecycle tests that drive the real vsrv binary: private
// --root and --data dirs, a busybox template built once per test process,
// spec files, and cleanup (`delete --force` of every server it named, then
// its dirs) that runs even when the test fails. Plus probes of what a
// server leaves on the host: state and data dirs, cgroup dirs, processes.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.hpp"

namespace vsrv::test {

// The template every fixture offers (a symlink to the process-wide one).
inline constexpr const char* kTemplate = "bb";

class VsrvHarness {
 public:
  VsrvHarness();
  ~VsrvHarness();
  VsrvHarness(const VsrvHarness&) = delete;
  VsrvHarness& operator=(const VsrvHarness&) = delete;

  const std::string& root() const { return root_.path(); }
  const std::string& data() const { return data_.path(); }
  // Scratch space for spec files, bundles and host dirs bound into servers.
  const std::string& scratch() const { return scratch_.path(); }

  // A server id unique across processes (cgroups are shared by everyone),
  // deleted with --force when the fixture goes away.
  std::string new_id(const std::string& tag = "s");

  // vsrv --root R --data D args...
  std::vector<std::string> argv(const std::vector<std::string>& args) const;
  // The same as one shell-quoted command line (for `script -c`).
  std::string command_line(const std::vector<std::string>& args) const;
  // Runs vsrv with args (run_limited).
  Result vsrv(const std::vector<std::string>& args, const std::string& input = "",
              int timeout_s = 30) const;

  // Writes text to a new file under scratch(); returns its path.
  std::string write_spec(const std::string& yaml);

  // `run -d` of the template with the spec; REQUIREs success.
  void run_detached(const std::string& id, const std::string& yaml);
  // `state ID` parsed; REQUIREs exit 0.
  nlohmann::json state(const std::string& id) const;
  std::string status(const std::string& id) const;
  // Polls `state` until status is want; false after timeout_ms.
  bool wait_status(const std::string& id, const std::string& want, int timeout_ms = 5000) const;
  // <root>/<id>/state.json as written by vsrv.
  nlohmann::json state_file(const std::string& id) const;

  // What the server left on the host: its state dir, data dir, cgroup dirs
  // (those given, plus any dir named .../vsrv/ID under /sys/fs/cgroup),
  // processes whose cgroup is one of its, and processes with ID in their
  // argv (vsrv commands, the monitor). Empty when nothing is left.
  std::vector<std::string> traces(const std::string& id,
                                  const std::vector<std::string>& cgroup_dirs = {}) const;

 private:
  TempDir root_{"vsrv-lt-root"};
  TempDir data_{"vsrv-lt-data"};
  TempDir scratch_{"vsrv-lt-scratch"};
  std::vector<std::string> ids_;
  int files_ = 0;
};

// Status of a command the harness killed at its time limit.
inline constexpr int kTimedOut = 124;
// Runs argv (argv[0] a path) with input on stdin; SIGKILLed after timeout_ms.
// Returns once the command exits, with what it (and anything it left
// running) wrote by then: a detached process may keep the pipes open.
Result run_limited(const std::vector<std::string>& argv, const std::string& input, int timeout_ms);

// A process-spec YAML running `sh -c script` without a terminal, plus extra.
std::string sh_spec(const std::string& script, const std::string& extra = "");
// YAML single-quoted scalar.
std::string yaml_quote(const std::string& s);
std::string shell_quote(const std::string& s);
std::vector<std::string> lines_of(const std::string& text);
// True when err is exactly one line starting with "vsrv: ".
bool one_error_line(const std::string& err);
// Lines of /proc/self/mountinfo.
std::vector<std::string> mountinfo();
// The namespace link of a process, e.g. "pid:[4026531836]".
std::string ns_link(pid_t pid, const std::string& type);
// Milliseconds since an arbitrary start (CLOCK_MONOTONIC).
long long now_ms();
void sleep_ms(int ms);

}  // namespace vsrv::test
