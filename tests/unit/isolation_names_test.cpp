// Name tables of the isolation layer: namespaces, rlimits, capabilities, seccomp.
#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "vsrv/isolation/namespaces.hpp"
#include "vsrv/isolation/process.hpp"

using namespace vsrv::isolation;

TEST_CASE("namespace names map to types, proc entries and clone flags") {
  struct Row {
    const char* oci;
    const char* proc;
    NsType type;
    int flag;
  };
  const Row rows[] = {
      {"pid", "pid", NsType::kPid, CLONE_NEWPID},
      {"network", "net", NsType::kNetwork, CLONE_NEWNET},
      {"mount", "mnt", NsType::kMount, CLONE_NEWNS},
      {"ipc", "ipc", NsType::kIpc, CLONE_NEWIPC},
      {"uts", "uts", NsType::kUts, CLONE_NEWUTS},
      {"user", "user", NsType::kUser, CLONE_NEWUSER},
      {"cgroup", "cgroup", NsType::kCgroup, CLONE_NEWCGROUP},
      {"time", "time", NsType::kTime, 0x80},
  };
  for (const auto& r : rows) {
    INFO(r.oci);
    REQUIRE(ns_type_from_name(r.oci) == r.type);
    CHECK(ns_name(r.type) == r.oci);
    CHECK(ns_proc_name(r.type) == r.proc);
    CHECK(ns_clone_flag(r.type) == r.flag);
  }
  CHECK_FALSE(ns_type_from_name("net").has_value());
  CHECK_FALSE(ns_type_from_name("mnt").has_value());
  CHECK_FALSE(ns_type_from_name("").has_value());
  CHECK_FALSE(ns_type_from_name("PID").has_value());
}

TEST_CASE("clone_flags includes only namespaces without a path") {
  std::vector<Namespace> ns = {{NsType::kPid, ""},
                               {NsType::kNetwork, "/proc/1/ns/net"},
                               {NsType::kMount, ""},
                               {NsType::kUts, ""}};
  CHECK(clone_flags(ns) == static_cast<unsigned long>(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS));
  CHECK(clone_flags({}) == 0);
}

TEST_CASE("rlimit names") {
  CHECK(rlimit_from_name("RLIMIT_NOFILE") == RLIMIT_NOFILE);
  CHECK(rlimit_from_name("RLIMIT_CPU") == RLIMIT_CPU);
  CHECK(rlimit_from_name("RLIMIT_AS") == RLIMIT_AS);
  CHECK(rlimit_from_name("RLIMIT_RTTIME") == RLIMIT_RTTIME);
  CHECK(rlimit_from_name("RLIMIT_MSGQUEUE") == RLIMIT_MSGQUEUE);
  int known = 0;
  for (const char* n :
       {"RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS",
        "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS",
        "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME"}) {
    if (rlimit_from_name(n)) ++known;
  }
  CHECK(known == RLIMIT_NLIMITS);
  CHECK_FALSE(rlimit_from_name("RLIMIT_FOO").has_value());
  CHECK_FALSE(rlimit_from_name("nofile").has_value());
  CHECK_FALSE(rlimit_from_name("").has_value());
}

TEST_CASE("capability names") {
  CHECK(capability_known("CAP_CHOWN"));
  CHECK(capability_known("CAP_SYS_ADMIN"));
  CHECK(capability_known("CAP_BPF"));
  CHECK(capability_known("CAP_CHECKPOINT_RESTORE"));
  CHECK_FALSE(capability_known("CAP_FOO"));
  CHECK_FALSE(capability_known("CHOWN"));
  CHECK_FALSE(capability_known("cap_chown"));
  CHECK_FALSE(capability_known("CAP_"));
  CHECK_FALSE(capability_known("0"));
  CHECK_FALSE(capability_known(""));
}

TEST_CASE("default capabilities are exactly the classic 14") {
  std::vector<std::string> expected = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  auto names = default_capability_names();
  std::sort(names.begin(), names.end());
  std::sort(expected.begin(), expected.end());
  CHECK(names == expected);
  for (const auto& n : names) CHECK(capability_known(n));
  auto caps = default_capabilities();
  std::sort(caps.bounding.begin(), caps.bounding.end());
  std::sort(caps.effective.begin(), caps.effective.end());
  std::sort(caps.permitted.begin(), caps.permitted.end());
  CHECK(caps.bounding == expected);
  CHECK(caps.effective == expected);
  CHECK(caps.permitted == expected);
  CHECK(caps.inheritable.empty());
  CHECK(caps.ambient.empty());
}

TEST_CASE("seccomp names") {
  for (const char* a :
       {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
        "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_LOG"}) {
    INFO(a);
    CHECK(seccomp_action_known(a));
  }
  CHECK_FALSE(seccomp_action_known("SCMP_ACT_NOTIFY"));
  CHECK_FALSE(seccomp_action_known("SCMP_ACT_FOO"));
  CHECK_FALSE(seccomp_action_known("allow"));
  for (const char* o : {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
                        "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"}) {
    INFO(o);
    CHECK(seccomp_op_known(o));
  }
  CHECK_FALSE(seccomp_op_known("SCMP_CMP_FOO"));
  CHECK_FALSE(seccomp_op_known("=="));
  for (const char* a :
       {"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
        "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390X", "SCMP_ARCH_RISCV64", "SCMP_ARCH_MIPSEL64"}) {
    INFO(a);
    CHECK(seccomp_arch_known(a));
  }
  CHECK_FALSE(seccomp_arch_known("SCMP_ARCH_VAX"));
  CHECK_FALSE(seccomp_arch_known("x86_64"));
  CHECK(seccomp_flag_known("SECCOMP_FILTER_FLAG_LOG"));
  CHECK(seccomp_flag_known("SECCOMP_FILTER_FLAG_TSYNC"));
  CHECK(seccomp_flag_known("SECCOMP_FILTER_FLAG_SPEC_ALLOW"));
  CHECK_FALSE(seccomp_flag_known("SECCOMP_FILTER_FLAG_FOO"));
}

namespace {
bool allows(const Seccomp& p, const std::string& name) {
  for (const auto& r : p.syscalls) {
    if (r.action == "SCMP_ACT_ALLOW" && r.args.empty() &&
        std::find(r.names.begin(), r.names.end(), name) != r.names.end())
      return true;
  }
  return false;
}
}  // namespace

TEST_CASE("default seccomp profile is an allow-list") {
  auto p = default_seccomp();
  CHECK(p.default_action == "SCMP_ACT_ERRNO");
  CHECK(p.default_errno_ret == 1u);
  CHECK(seccomp_action_known(p.default_action));
  CHECK(std::find(p.architectures.begin(), p.architectures.end(), "SCMP_ARCH_X86_64") !=
        p.architectures.end());
  for (const auto& a : p.architectures) CHECK(seccomp_arch_known(a));
  for (const char* ok : {"read", "write", "openat", "execve", "exit_group", "getpid", "wait4",
                         "socket", "accept4", "ptrace", "process_vm_readv", "statx", "rseq"}) {
    INFO(ok);
    CHECK(allows(p, ok));
  }
  for (const char* denied : {"keyctl",
                             "add_key",
                             "request_key",
                             "bpf",
                             "perf_event_open",
                             "userfaultfd",
                             "kexec_load",
                             "kexec_file_load",
                             "init_module",
                             "finit_module",
                             "delete_module",
                             "open_by_handle_at",
                             "mount",
                             "umount2",
                             "pivot_root",
                             "unshare",
                             "setns",
                             "swapon",
                             "swapoff",
                             "reboot",
                             "acct",
                             "settimeofday",
                             "clock_settime",
                             "syslog",
                             "iopl",
                             "ioperm",
                             "lookup_dcookie",
                             "quotactl",
                             "name_to_handle_at",
                             "vm86",
                             "nfsservctl",
                             "clone",
                             "clone3",
                             "personality"}) {
    INFO(denied);
    CHECK_FALSE(allows(p, denied));  // clone/personality only conditionally (below)
  }
  bool clone_rule = false, clone3_enosys = false, personality_rule = false;
  for (const auto& r : p.syscalls) {
    CHECK(seccomp_action_known(r.action));
    for (const auto& a : r.args) CHECK(seccomp_op_known(a.op));
    if (r.names == std::vector<std::string>{"clone"}) {
      REQUIRE(r.args.size() == 1);
      CHECK(r.action == "SCMP_ACT_ALLOW");
      CHECK(r.args[0].op == "SCMP_CMP_MASKED_EQ");
      CHECK(r.args[0].index == 0);
      CHECK(r.args[0].value == 0x7E020000u);
      CHECK(r.args[0].value_two == 0);
      clone_rule = true;
    }
    if (r.names == std::vector<std::string>{"clone3"}) {
      CHECK(r.action == "SCMP_ACT_ERRNO");
      clone3_enosys = r.errno_ret == 38u;
    }
    if (r.names == std::vector<std::string>{"personality"}) personality_rule = !r.args.empty();
  }
  CHECK(clone_rule);
  CHECK(clone3_enosys);
  CHECK(personality_rule);
}
