// Per-process isolation applied in the child just before execve:
// hostname, loopback, rlimits, user/groups, capabilities, no_new_privs,
// seccomp, file descriptors.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vsrv::isolation {

struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE", ...
  uint64_t soft = 0;
  uint64_t hard = 0;
};
// RLIMIT_* number for an OCI name, or empty when unknown.
std::optional<int> rlimit_from_name(std::string_view name);
// setrlimit for each; an error names the limit ("RLIMIT_NOFILE: ...").
void apply_rlimits(const std::vector<Rlimit>& rlimits);

struct Capabilities {
  std::vector<std::string> bounding, effective, permitted, inheritable, ambient;
};
// "CAP_CHOWN" etc. known to libcap on this build.
bool capability_known(std::string_view name);
// The classic container set (the 14 capabilities runc and Docker grant).
std::vector<std::string> default_capability_names();
Capabilities
default_capabilities();  // bounding=effective=permitted=default, no inheritable/ambient

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
  std::optional<uint32_t> umask;
};

// Sets hostname (UTS namespace must be private).
void set_hostname(const std::string& hostname);
// Brings "lo" up in the current network namespace.
void bring_up_loopback();
// setgroups/setresgid/setresuid to the user while keeping the capability
// sets described by caps; then applies bounding, inheritable, permitted,
// effective and ambient sets exactly.
void apply_user_and_capabilities(const User& user, const Capabilities& caps);
void set_no_new_privs();
// Lets this process and its descendants execute only files beneath the
// current root (Landlock), so the vsrv binary, reachable through
// /proc/self/exe, never runs inside a server. No-op without Landlock. Call
// while still holding CAP_SYS_ADMIN (or after no_new_privs).
void confine_exec_to_root();
// Writes /proc/self/oom_score_adj.
void set_oom_score_adj(int adj);

// OCI linux.seccomp.
struct SeccompArg {
  uint32_t index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op;  // SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT,
                   // SCMP_CMP_MASKED_EQ
};
struct SeccompRule {
  std::vector<std::string> names;
  std::string action;  // SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, ...
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;
};
struct Seccomp {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // SCMP_ARCH_X86_64, ...
  std::vector<std::string> flags;          // SECCOMP_FILTER_FLAG_*
  std::vector<SeccompRule> syscalls;
};
// SCMP_ACT_NOTIFY is not "known": vsrv has no notify listener.
bool seccomp_action_known(std::string_view action);
bool seccomp_op_known(std::string_view op);
bool seccomp_arch_known(std::string_view arch);
// SECCOMP_FILTER_FLAG_TSYNC, _LOG, _SPEC_ALLOW and _WAIT_KILLABLE_RECV (no effect without
// a notify listener, which vsrv has not).
bool seccomp_flag_known(std::string_view flag);
// The built-in default profile (an allow-list, as container engines ship).
Seccomp default_seccomp();
// Compiles and loads the filter into the calling thread. Syscall names this
// kernel/libseccomp does not know are skipped.
void apply_seccomp(const Seccomp& profile);

// Marks every fd >= lowfd close-on-exec (close_range CLOSE_RANGE_CLOEXEC).
void cloexec_fds_from(int lowfd);

}  // namespace vsrv::isolation
