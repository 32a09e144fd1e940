// Sizes in specs, with the Kubernetes convention for units:
//   k (or K), M, G, T, P  = powers of 1000    ("1G"    = 1000000000)
//   Ki, Mi, Gi, Ti, Pi    = powers of 1024    ("256Mi" = 268435456)
//   KiB, MiB, GiB, TiB, PiB are accepted as aliases of Ki, Mi, ...
// A plain integer is bytes; "-1" means unlimited. With a unit the number may
// have a fraction ("1.5Gi"); the result is rounded down to whole bytes.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include "vsrv/runtime/spec_parser.hpp"

namespace vsrv::spec {
namespace {

// Multiplier for a unit suffix, 0 when unknown.
uint64_t unit_multiplier(const std::string& unit) {
  static const std::pair<const char*, uint64_t> kUnits[] = {
      {"", 1},
      {"k", 1000ULL},
      {"K", 1000ULL},
      {"M", 1000ULL * 1000},
      {"G", 1000ULL * 1000 * 1000},
      {"T", 1000ULL * 1000 * 1000 * 1000},
      {"P", 1000ULL * 1000 * 1000 * 1000 * 1000},
      {"Ki", 1ULL << 10},
      {"Mi", 1ULL << 20},
      {"Gi", 1ULL << 30},
      {"Ti", 1ULL << 40},
      {"Pi", 1ULL << 50},
      {"KiB", 1ULL << 10},
      {"MiB", 1ULL << 20},
      {"GiB", 1ULL << 30},
      {"TiB", 1ULL << 40},
      {"PiB", 1ULL << 50},
  };
  for (const auto& [name, mult] : kUnits) {
    if (unit == name) return mult;
  }
  return 0;
}

[[noreturn]] void bad_size(const std::string& text) {
  throw std::invalid_argument("invalid size \"" + text + "\"");
}

}  // namespace

int64_t parse_size(const std::string& text) {
  if (text == "-1") return -1;
  size_t i = 0;
  unsigned __int128 whole = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    whole = whole * 10 + static_cast<unsigned>(text[i] - '0');
    if (whole > INT64_MAX) bad_size(text);
    ++i;
  }
  if (i == 0) bad_size(text);  // no leading digit (also rejects "-5", "+5", "", " 5")
  unsigned __int128 frac = 0, frac_scale = 1;
  bool has_frac = false;
  if (i < text.size() && text[i] == '.') {
    has_frac = true;
    ++i;
    const size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (i - start < 18) {  // more digits than this cannot change whole bytes
        frac = frac * 10 + static_cast<unsigned>(text[i] - '0');
        frac_scale *= 10;
      }
      ++i;
    }
    if (i == start) bad_size(text);
  }
  const std::string unit = text.substr(i);
  const uint64_t mult = unit_multiplier(unit);
  if (mult == 0 || (has_frac && unit.empty())) bad_size(text);
  const unsigned __int128 bytes = whole * mult + frac * mult / frac_scale;
  if (bytes > INT64_MAX) bad_size(text);
  return static_cast<int64_t>(bytes);
}

}  // namespace vsrv::spec
