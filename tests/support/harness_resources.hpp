// Helpers for the resource-control tests: a vsrv command left running in the
// background (events, an attached run), the cgroup files of a server, and
// `stats` as JSON.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness_vsrv.hpp"
#include "vsrv/base/fd.hpp"

namespace vsrv::test {

// Polls f every 20 ms until it is true; false after timeout_ms.
template <typename F>
bool eventually(F f, int timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    if (f()) return true;
    if (now_ms() > deadline) return false;
    sleep_ms(20);
  }
}

// A command started with its stdout on a pipe. The destructor SIGKILLs and
// reaps it (by pid) if it is still running.
class Background {
 public:
  explicit Background(const std::vector<std::string>& argv);
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  pid_t pid() const { return pid_; }
  // The next line of its stdout (without '\n'); empty after timeout_ms or at EOF.
  std::optional<std::string> line(int timeout_ms);
  // Waits for it to exit; its exit code (128+signal), or -1 after timeout_ms.
  int wait(int timeout_ms);
  void kill(int sig);

 private:
  pid_t pid_ = -1;
  UniqueFd out_;
  std::string buf_;
};

// The file of a server's cgroup that holds a limit or counter: v1_file in
// the hierarchy of v1_controller on a v1/hybrid host, v2_file in the cgroup2
// directory on a pure v2 host.
std::string cgroup_file(const VsrvHarness& h, const std::string& id,
                        const std::string& v1_controller, const std::string& v1_file,
                        const std::string& v2_file);
// Trimmed content of a file.
std::string read_trimmed(const std::string& path);
bool pure_cgroup_v2();

// `stats ID --format json`, the server's object; REQUIREs success.
nlohmann::json stats_json(const VsrvHarness& h, const std::string& id);
// Lines of `logs ID`.
std::vector<std::string> log_lines(const VsrvHarness& h, const std::string& id);

}  // namespace vsrv::test
