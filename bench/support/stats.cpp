#include "stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace vsrv::bench {

double percentile_ms(std::vector<int64_t> ns, double p) {
  if (ns.empty()) return NAN;
  std::sort(ns.begin(), ns.end());
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(ns.size())));
  size_t i = rank == 0 ? 0 : std::min(rank - 1, ns.size() - 1);
  return static_cast<double>(ns[i]) / 1e6;
}

std::string fmt(double v, int decimals) {
  if (std::isnan(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string ratio(double a, double b) {
  if (std::isnan(a) || std::isnan(b) || b == 0) return "-";
  return fmt(a / b, 2) + "x";
}

std::string Table::str() const {
  std::vector<size_t> width;
  for (const auto& r : rows_) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string s;
  for (size_t n = 0; n < rows_.size(); ++n) {
    const auto& r = rows_[n];
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      // First column left-aligned (labels), the others right-aligned (numbers).
      std::string pad(width[i] - r[i].size(), ' ');
      line += i == 0 ? r[i] + pad : "  " + pad + r[i];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    s += line + "\n";
    if (n == 0) {
      size_t total = 0;
      for (size_t i = 0; i < width.size(); ++i) total += width[i] + (i == 0 ? 0 : 2);
      s += std::string(total, '-') + "\n";
    }
  }
  return s;
}

}  // namespace vsrv::bench
