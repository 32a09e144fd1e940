// Device rules on a cgroup2 directory: a BPF_PROG_TYPE_CGROUP_DEVICE program
// loaded and attached with raw bpf(2) calls (private).
#pragma once

#include <string>
#include <vector>

#include "vsrv/base/fd.hpp"
#include "vsrv/cgroups/devices.hpp"

namespace vsrv::cgroups::detail {

// The name vsrv gives its device programs; replace_device_program detaches
// only programs of that name.
inline constexpr const char* kDeviceProgramName = "vsrv_devices";

// Loads the program (BPF_PROG_LOAD). Throws Error "FIELD: load ...".
UniqueFd load_device_program(const std::vector<struct bpf_insn>& prog, const std::string& field);

// Ids of the device programs attached to the cgroup itself (not inherited).
std::vector<uint32_t> attached_device_programs(int cgroup_fd, const std::string& field);

// Makes state the device rules of the cgroup (cgroup_fd: O_DIRECTORY fd of
// a cgroup2 directory): attaches the new program (BPF_F_ALLOW_MULTI, so that
// the parents' programs still apply), then detaches the vsrv programs that
// were attached before. Meanwhile both apply, so nothing is allowed that
// either the old or the new rules deny. Errors name field.
void replace_device_program(int cgroup_fd, const DeviceState& state, const std::string& field);

}  // namespace vsrv::cgroups::detail
