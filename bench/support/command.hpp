// Runs one runtime command the way a benchmark needs: in its own process
// group (so Ctrl-C reaches only the benchmark, which then cleans up), stdin
// from /dev/null, stdout and stderr into anonymous files (never pipes: a
// detached server may keep them open), and timed with CLOCK_MONOTONIC from
// just before the spawn to just after the reap.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vsrv::bench {

struct Outcome {
  int status = -1;  // exit code, or 128+signal
  int64_t ns = 0;   // wall time of spawn .. reap
  std::string out;  // stdout (only when asked for)
  std::string err;  // stderr
  bool ok() const { return status == 0; }
};

int64_t now_ns();

// argv[0] is a path or a name looked up in PATH.
Outcome run_command(const std::vector<std::string>& argv, bool keep_stdout = false);

// Like run_command, but throws std::runtime_error naming the command and its
// stderr when it does not exit 0.
Outcome must_run(const std::vector<std::string>& argv, bool keep_stdout = false);

std::string join(const std::vector<std::string>& argv);

}  // namespace vsrv::bench
