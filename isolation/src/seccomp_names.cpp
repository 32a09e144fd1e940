// OCI seccomp vocabulary: actions, comparison operators, architectures, flags.
#include "seccomp_names.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>

#include "vsrv/isolation/process.hpp"

namespace vsrv::isolation {

namespace {

struct ArchName {
  std::string_view name;
  uint32_t token;
};

constexpr ArchName kArches[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

struct OpName {
  std::string_view name;
  scmp_compare op;
};

constexpr OpName kOps[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

struct FlagName {
  std::string_view name;
  unsigned bit;
};

// The OCI flags and their seccomp(2) bits. WAIT_KILLABLE_RECV only changes
// how a notify listener waits; vsrv has no listener, so it is accepted and
// sets nothing (the kernel refuses it without NEW_LISTENER).
constexpr FlagName kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 0},
};

// Actions we can load. SCMP_ACT_NOTIFY is valid OCI but needs a listener
// (an agent receiving the notify fd) that vsrv does not have.
constexpr std::string_view kActions[] = {
    "SCMP_ACT_ALLOW",       "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",  "SCMP_ACT_TRACE", "SCMP_ACT_LOG",
};

}  // namespace

std::optional<uint32_t> seccomp_arch_token(std::string_view name) {
  for (const auto& a : kArches) {
    if (a.name == name) return a.token;
  }
  return std::nullopt;
}

std::optional<int> seccomp_op_value(std::string_view name) {
  for (const auto& o : kOps) {
    if (o.name == name) return static_cast<int>(o.op);
  }
  return std::nullopt;
}

std::optional<unsigned> seccomp_flag_bit(std::string_view name) {
  for (const auto& f : kFlags) {
    if (f.name == name) return f.bit;
  }
  return std::nullopt;
}

bool seccomp_action_known(std::string_view action) {
  for (auto a : kActions) {
    if (a == action) return true;
  }
  return false;
}

bool seccomp_op_known(std::string_view op) {
  return seccomp_op_value(op).has_value();
}

bool seccomp_arch_known(std::string_view arch) {
  return seccomp_arch_token(arch).has_value();
}

bool seccomp_flag_known(std::string_view flag) {
  return seccomp_flag_bit(flag).has_value();
}

}  // namespace vsrv::isolation
