#include "device_bpf.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vsrv/base/error.hpp"

namespace vsrv::cgroups::detail {

namespace {

uint64_t ptr(const void* p) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p));
}

long bpf(int cmd, union bpf_attr& attr) {
  return ::syscall(SYS_bpf, cmd, &attr, sizeof attr);
}

// An fd of the program with that id, or none when it went away meanwhile.
UniqueFd program_fd(uint32_t id, const std::string& field) {
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.prog_id = id;
  UniqueFd fd(static_cast<int>(bpf(BPF_PROG_GET_FD_BY_ID, attr)));
  if (!fd && errno != ENOENT) throw SysError(field + ": open BPF program " + std::to_string(id));
  return fd;
}

std::string program_name(int prog_fd, const std::string& field) {
  struct bpf_prog_info info;
  std::memset(&info, 0, sizeof info);
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.info.bpf_fd = static_cast<uint32_t>(prog_fd);
  attr.info.info_len = sizeof info;
  attr.info.info = ptr(&info);
  if (bpf(BPF_OBJ_GET_INFO_BY_FD, attr) < 0) throw SysError(field + ": read a BPF program's name");
  return std::string(info.name, strnlen(info.name, sizeof info.name));
}

}  // namespace

UniqueFd load_device_program(const std::vector<struct bpf_insn>& prog, const std::string& field) {
  // The kernel uses the license only to gate GPL-only helpers; the program
  // calls none.
  static const char kLicense[] = "GPL";
  char log[4096] = "";
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = ptr(prog.data());
  attr.insn_cnt = static_cast<uint32_t>(prog.size());
  attr.license = ptr(kLicense);
  std::strncpy(attr.prog_name, kDeviceProgramName, sizeof attr.prog_name - 1);
  UniqueFd fd(static_cast<int>(bpf(BPF_PROG_LOAD, attr)));
  if (fd) return fd;
  int err = errno;
  if (err == EINVAL || err == EACCES) {
    // Once more with the verifier's log, for the message.
    attr.log_buf = ptr(log);
    attr.log_size = sizeof log;
    attr.log_level = 1;
    fd.reset(static_cast<int>(bpf(BPF_PROG_LOAD, attr)));
    if (fd) return fd;
  }
  std::string detail = log;
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
  if (size_t nl = detail.find_last_of('\n'); nl != std::string::npos)
    detail = detail.substr(nl + 1);
  throw Error(field + ": load the BPF device program (" + std::to_string(prog.size()) +
              " instructions): " + std::strerror(err) +
              (detail.empty() ? "" : " (verifier: " + detail + ")"));
}

std::vector<uint32_t> attached_device_programs(int cgroup_fd, const std::string& field) {
  std::vector<uint32_t> ids(64);
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = ptr(ids.data());
  attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
  if (bpf(BPF_PROG_QUERY, attr) < 0)
    throw SysError(field + ": list the cgroup's BPF device programs");
  ids.resize(attr.query.prog_cnt);
  return ids;
}

void replace_device_program(int cgroup_fd, const DeviceState& state, const std::string& field) {
  std::vector<uint32_t> before = attached_device_programs(cgroup_fd, field);
  UniqueFd prog = load_device_program(device_program(state), field);
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, attr) < 0)
    throw SysError(field + ": attach the BPF device program to the cgroup");
  for (uint32_t id : before) {
    UniqueFd old = program_fd(id, field);
    if (!old || program_name(old.get(), field) != kDeviceProgramName) continue;
    std::memset(&attr, 0, sizeof attr);
    attr.target_fd = static_cast<uint32_t>(cgroup_fd);
    attr.attach_bpf_fd = static_cast<uint32_t>(old.get());
    attr.attach_type = BPF_CGROUP_DEVICE;
    if (bpf(BPF_PROG_DETACH, attr) < 0 && errno != ENOENT)
      throw SysError(field + ": detach the previous BPF device program " + std::to_string(id));
  }
}

}  // namespace vsrv::cgroups::detail
