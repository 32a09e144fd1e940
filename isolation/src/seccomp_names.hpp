// Internal: OCI seccomp names to libseccomp values.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace vsrv::isolation {

std::optional<uint32_t> seccomp_arch_token(std::string_view name);  // SCMP_ARCH_*
std::optional<int> seccomp_op_value(std::string_view name);         // enum scmp_compare
std::optional<unsigned> seccomp_flag_bit(std::string_view name);    // SECCOMP_FILTER_FLAG_*

}  // namespace vsrv::isolation
