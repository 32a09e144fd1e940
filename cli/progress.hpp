// A one-line progress bar on stderr, drawn only when stderr is a terminal
// (at most ten times a second), so scripts and logs see nothing of it.
#pragma once

#include <cstdint>
#include <string>

namespace vsrv::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar();  // ends the line if one was drawn
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // done of total bytes; total 0: unknown (a byte count without a bar).
  void update(uint64_t done, uint64_t total);

 private:
  std::string label_;
  bool tty_;
  bool drawn_ = false;
  long long last_ms_ = 0;
};

}  // namespace vsrv::cli
