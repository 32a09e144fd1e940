// Translations of OCI resource values to cgroup v2 files.
#include <algorithm>

#include "vsrv/base/error.hpp"
#include "vsrv/cgroups/parse.hpp"

namespace vsrv::cgroups {

uint64_t shares_to_weight(uint64_t shares) {
  // Maps the v1 range [2, 262144] linearly onto the v2 range [1, 10000].
  shares = std::clamp<uint64_t>(shares, 2, 262144);
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
  weight = std::clamp<uint64_t>(weight, 10, 1000);
  return 1 + ((weight - 10) * 9999) / 990;
}

std::optional<std::string> swap_to_v2(std::optional<int64_t> limit, std::optional<int64_t> swap) {
  // OCI swap 0 means "not set" (as runc reads it).
  if (!swap || *swap == 0) return std::nullopt;
  if (*swap == -1) return "max";
  if (*swap < -1) throw Error(ErrorKind::kUsage, "linux.resources.memory.swap: negative value");
  if (!limit || *limit <= 0)
    throw Error(
        ErrorKind::kUsage,
        "linux.resources.memory.swap: cannot limit swap without linux.resources.memory.limit");
  if (*swap < *limit)
    throw Error(ErrorKind::kUsage, "linux.resources.memory.swap: " + std::to_string(*swap) +
                                       " (memory+swap) is below linux.resources.memory.limit " +
                                       std::to_string(*limit));
  return std::to_string(*swap - *limit);
}

std::string format_cpu_max(int64_t quota, uint64_t period) {
  return (quota < 0 ? std::string("max") : std::to_string(quota)) + " " + std::to_string(period);
}

}  // namespace vsrv::cgroups
