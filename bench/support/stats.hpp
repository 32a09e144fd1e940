// Order statistics of latency samples, and the fixed-width table the
// benchmarks print.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vsrv::bench {

// Nearest-rank percentile (p in 0..100) in milliseconds; NaN when empty.
double percentile_ms(std::vector<int64_t> ns, double p);
inline double median_ms(const std::vector<int64_t>& ns) {
  return percentile_ms(ns, 50);
}

// "12.34" (or "-" for NaN), with the given number of decimals.
std::string fmt(double v, int decimals = 2);
// a / b as "0.42x", "-" when either is NaN or b is 0.
std::string ratio(double a, double b);

// A table printed with columns padded to their widest cell.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string str() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace vsrv::bench
