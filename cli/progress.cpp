#include "progress.hpp"

#include <time.h>
#include <unistd.h>

#include <cstdio>

namespace vsrv::cli {
namespace {

long long now_ms() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

double mib(uint64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

}  // namespace

ProgressBar::ProgressBar(std::string label) : label_(std::move(label)), tty_(::isatty(2) == 1) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fputc('\n', stderr);
}

void ProgressBar::update(uint64_t done, uint64_t total) {
  if (!tty_) return;
  long long now = now_ms();
  bool finished = total > 0 && done >= total;
  if (drawn_ && !finished && now - last_ms_ < 100) return;
  last_ms_ = now;
  drawn_ = true;
  if (total == 0) {
    std::fprintf(stderr, "\r%s %8.1f MiB", label_.c_str(), mib(done));
  } else {
    constexpr int kWidth = 30;
    if (done > total) done = total;
    int filled = static_cast<int>(done * kWidth / total);
    char bar[kWidth + 1];
    for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '.';
    bar[kWidth] = '\0';
    std::fprintf(stderr, "\r%s [%s] %3d%% %.1f/%.1f MiB", label_.c_str(), bar,
                 static_cast<int>(done * 100 / total), mib(done), mib(total));
  }
  std::fflush(stderr);
}

}  // namespace vsrv::cli
