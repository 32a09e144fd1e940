// Helpers for integration tests: run the real vsrv binary, temp dirs that are
// removed even when a test fails.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace vsrv::test {

struct Result {
  int status = -1;  // exit code, or 128+signal
  std::string out;
  std::string err;
};

// Runs argv (argv[0] is a path) with optional stdin data; captures output.
Result run(const std::vector<std::string>& argv, const std::string& input = "");

// Starts argv (argv[0] a path) with stdio on /dev/null and extra environment
// (NAME=VALUE) added; returns its pid for the caller to signal and reap.
pid_t spawn_quiet(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});

// A temporary directory (under /tmp, or dir), removed recursively on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "vsrv-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace vsrv::test
