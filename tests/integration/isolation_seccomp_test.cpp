// seccomp filters loaded for real, each in a forked child.
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <catch2/catch.hpp>
#include <thread>

#include "isolation_child.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/isolation/process.hpp"

using namespace vsrv::isolation;
using vsrv::test::expect;
using vsrv::test::run_in_child;

namespace {

// Runs a raw syscall and returns its errno (0 on success).
template <typename... Args>
int sys_errno(long nr, Args... args) {
  errno = 0;
  long rc = ::syscall(nr, args...);
  return rc < 0 ? errno : 0;
}

void expect_errno(int got, int want, const std::string& what) {
  expect(got == want, what + ": errno " + std::to_string(got) + ", want " + std::to_string(want));
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const vsrv::Error& e) {
    return e.what();
  }
  return "";
}

int run_true() {
  pid_t pid = ::fork();
  if (pid < 0) return -errno;
  if (pid == 0) {
    ::execl("/bin/true", "true", nullptr);
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("default_seccomp denies dangerous syscalls and allows ordinary programs") {
  auto r = run_in_child([] {
    set_no_new_privs();
    apply_seccomp(default_seccomp());
    expect_errno(sys_errno(SYS_keyctl, 0, 0, 0, 0, 0), EPERM, "keyctl");
    expect_errno(sys_errno(SYS_add_key, "user", "x", "y", 1, 0), EPERM, "add_key");
    expect_errno(sys_errno(SYS_bpf, 0, nullptr, 0), EPERM, "bpf");
    expect_errno(sys_errno(SYS_perf_event_open, nullptr, 0, -1, -1, 0), EPERM, "perf_event_open");
    expect_errno(sys_errno(SYS_unshare, CLONE_NEWUSER), EPERM, "unshare(CLONE_NEWUSER)");
    expect_errno(sys_errno(SYS_mount, "none", "/tmp", "tmpfs", 0, nullptr), EPERM, "mount");
    expect_errno(sys_errno(SYS_umount2, "/tmp", 0), EPERM, "umount2");
    expect_errno(sys_errno(SYS_setns, 0, 0), EPERM, "setns");
    expect_errno(sys_errno(SYS_reboot, 0, 0, 0, nullptr), EPERM, "reboot");
    expect_errno(sys_errno(SYS_syslog, 3, nullptr, 0), EPERM, "syslog");
    // clone3 hides its flags from seccomp: ENOSYS, so libc falls back to clone.
    struct clone_args args = {};
    args.exit_signal = SIGCHLD;
    expect_errno(sys_errno(SYS_clone3, &args, sizeof args), ENOSYS, "clone3");
    // clone with a namespace flag is refused; plain fork-like clone works.
    expect_errno(sys_errno(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0), EPERM,
                 "clone(CLONE_NEWNS)");
    expect_errno(sys_errno(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0), EPERM,
                 "clone(CLONE_NEWNET)");
    // personality: the query value works, an odd one does not.
    expect(::personality(0xffffffff) >= 0, "personality query");
    expect_errno(sys_errno(SYS_personality, 0x0400000), EPERM, "personality(ADDR_NO_RANDOMIZE)");
    expect(::getpid() > 0, "getpid");
    int rc = run_true();
    expect(rc == 0, "fork+exec /bin/true: " + std::to_string(rc));
    // Threads (glibc tries clone3 first, then clone without namespace flags).
    int value = 0;
    std::thread t([&] { value = 42; });
    t.join();
    expect(value == 42, "thread");
  });
  INFO(r.out);
  CHECK(r.status == 0);
}

TEST_CASE("a shell and coreutils run under default_seccomp") {
  auto r = run_in_child([] {
    set_no_new_privs();
    apply_seccomp(default_seccomp());
    ::execl("/bin/sh", "sh", "-c",
            "d=$(mktemp -d) && echo hi > $d/f && cat $d/f && ls $d && rm -r $d && "
            "/bin/busybox sh -c 'echo bb' && echo done",
            nullptr);
    throw std::runtime_error("exec /bin/sh failed");
  });
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out == "hi\nf\nbb\ndone\n");
}

TEST_CASE("custom profile: argument rules, AND of args, unknown names skipped") {
  auto r = run_in_child([] {
    Seccomp p;
    p.default_action = "SCMP_ACT_ALLOW";
    p.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"};
    SeccompRule personality;
    personality.names = {"personality"};
    personality.action = "SCMP_ACT_ERRNO";
    personality.errno_ret = 42;
    personality.args = {{0, 0xdead, 0, "SCMP_CMP_EQ"}};
    SeccompRule kill;  // kill(999999, 0) only: both comparisons must hold
    kill.names = {"kill"};
    kill.action = "SCMP_ACT_ERRNO";
    kill.errno_ret = 43;
    kill.args = {{0, 999999, 0, "SCMP_CMP_EQ"}, {1, 0, 0, "SCMP_CMP_EQ"}};
    SeccompRule unknown;
    unknown.names = {"no_such_syscall_vsrv", "getppid"};
    unknown.action = "SCMP_ACT_ERRNO";
    unknown.errno_ret = 44;
    SeccompRule same_as_default;  // skipped: libseccomp rejects it
    same_as_default.names = {"getpid"};
    same_as_default.action = "SCMP_ACT_ALLOW";
    SeccompRule masked;  // dup3 with O_CLOEXEC in flags
    masked.names = {"dup3"};
    masked.action = "SCMP_ACT_ERRNO";
    masked.errno_ret = 45;
    masked.args = {{2, O_CLOEXEC, O_CLOEXEC, "SCMP_CMP_MASKED_EQ"}};
    SeccompRule ranges;  // fchdir(fd) with 1000 < fd <= 2000 ... as two rules (OR on one arg)
    ranges.names = {"fchdir"};
    ranges.action = "SCMP_ACT_ERRNO";
    ranges.errno_ret = 46;
    ranges.args = {{0, 5000, 0, "SCMP_CMP_GT"}, {0, 10, 0, "SCMP_CMP_LT"}};
    p.syscalls = {personality, kill, unknown, same_as_default, masked, ranges};
    apply_seccomp(p);

    expect_errno(sys_errno(SYS_personality, 0xdead), 42, "personality(0xdead)");
    expect(::personality(0xffffffff) >= 0, "personality query");
    expect_errno(sys_errno(SYS_kill, 999999, 0), 43, "kill(999999, 0)");
    expect_errno(sys_errno(SYS_kill, 999999, SIGTERM), ESRCH, "kill(999999, SIGTERM)");
    expect_errno(sys_errno(SYS_getppid), 44, "getppid");
    expect(::getpid() > 0, "getpid");
    expect_errno(sys_errno(SYS_dup3, 0, 50, O_CLOEXEC), 45, "dup3 O_CLOEXEC");
    expect_errno(sys_errno(SYS_dup3, 0, 50, 0), 0, "dup3 without O_CLOEXEC");
    expect_errno(sys_errno(SYS_fchdir, 6000), 46, "fchdir(6000)");
    expect_errno(sys_errno(SYS_fchdir, 5), 46, "fchdir(5)");
    expect_errno(sys_errno(SYS_fchdir, 600), EBADF, "fchdir(600)");
  });
  INFO(r.out);
  CHECK(r.status == 0);
}

TEST_CASE("SCMP_ACT_KILL_PROCESS kills with SIGSYS; flags are accepted") {
  auto r = run_in_child([] {
    Seccomp p;
    p.default_action = "SCMP_ACT_ALLOW";
    p.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_TSYNC"};
    SeccompRule rule;
    rule.names = {"getppid"};
    rule.action = "SCMP_ACT_KILL_PROCESS";
    p.syscalls = {rule};
    apply_seccomp(p);
    ::syscall(SYS_getppid);
    throw std::runtime_error("survived getppid");
  });
  INFO(r.out);
  CHECK(r.status == 128 + SIGSYS);
}

TEST_CASE("without no_new_privs and CAP_SYS_ADMIN loading fails") {
  auto r = run_in_child([] {
    apply_user_and_capabilities({1000, 1000, {}, {}}, {});
    std::string err = error_of([] { apply_seccomp(default_seccomp()); });
    expect(err.find("load seccomp filter") != std::string::npos, "error: " + err);
    expect(::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0, "apply_seccomp set no_new_privs");
  });
  INFO(r.out);
  CHECK(r.status == 0);
}

TEST_CASE("invalid profiles are errors before anything is loaded") {
  auto r = run_in_child([] {
    set_no_new_privs();
    auto check = [](const Seccomp& p, const std::string& want) {
      std::string err = error_of([&] { apply_seccomp(p); });
      expect(err.find(want) != std::string::npos, "error '" + err + "' lacks '" + want + "'");
    };
    Seccomp p;
    p.default_action = "SCMP_ACT_NOTIFY";
    check(p, "not supported");
    p.default_action = "SCMP_ACT_BOGUS";
    check(p, "SCMP_ACT_BOGUS");
    p.default_action = "SCMP_ACT_ALLOW";
    p.architectures = {"SCMP_ARCH_VAX"};
    check(p, "SCMP_ARCH_VAX");
    p.architectures = {};
    p.flags = {"SECCOMP_FILTER_FLAG_BOGUS"};
    check(p, "SECCOMP_FILTER_FLAG_BOGUS");
    p.flags = {};
    SeccompRule rule;
    rule.names = {"getppid"};
    rule.action = "SCMP_ACT_ERRNO";
    rule.args = {{0, 1, 0, "SCMP_CMP_BOGUS"}};
    p.syscalls = {rule};
    check(p, "SCMP_CMP_BOGUS");
    rule.args = {{6, 1, 0, "SCMP_CMP_EQ"}};
    p.syscalls = {rule};
    check(p, "index 6");
    // Nothing was loaded by the failures above.
    expect(vsrv::test::status_hex("\n" + vsrv::read_file("/proc/self/status"), "Seccomp") == 0,
           "a filter is loaded");
  });
  INFO(r.out);
  CHECK(r.status == 0);
}
