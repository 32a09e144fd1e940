// Per-process isolation on the real kernel: rlimits, user and capabilities,
// no_new_privs, oom_score_adj, close-on-exec of inherited fds.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>

#include "isolation_child.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/isolation/process.hpp"

using namespace vsrv::isolation;
using vsrv::test::expect;
using vsrv::test::run_in_child;
using vsrv::test::status_hex;

namespace {

constexpr unsigned long long kNetBindService = 1ull << 10;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const vsrv::Error& e) {
    return e.what();
  }
  return "";
}

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

[[noreturn]] void exec(const std::vector<const char*>& argv) {
  std::vector<char*> args;
  for (const char* a : argv) args.push_back(const_cast<char*>(a));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  throw std::runtime_error(std::string("exec ") + argv[0] + ": " + vsrv::test::errno_text());
}

}  // namespace

TEST_CASE("apply_rlimits sets limits; raising the hard limit is an error naming it") {
  auto r = run_in_child([] {
    apply_rlimits({{"RLIMIT_NOFILE", 100, 200}, {"RLIMIT_CORE", 0, 0}});
    struct rlimit lim;
    ::getrlimit(RLIMIT_NOFILE, &lim);
    expect(lim.rlim_cur == 100 && lim.rlim_max == 200, "NOFILE not 100/200");
    ::getrlimit(RLIMIT_CORE, &lim);
    expect(lim.rlim_cur == 0 && lim.rlim_max == 0, "CORE not 0/0");
    // Without CAP_SYS_RESOURCE a hard limit cannot go back up.
    apply_user_and_capabilities({}, default_capabilities());
    std::string err = error_of([] { apply_rlimits({{"RLIMIT_NOFILE", 100, 300}}); });
    expect(err ==
               "RLIMIT_NOFILE: cannot raise the hard limit above the caller's: Operation not "
               "permitted",
           "error: " + err);
    err = error_of([] { apply_rlimits({{"RLIMIT_BOGUS", 1, 1}}); });
    expect(err.find("RLIMIT_BOGUS") != std::string::npos, "error: " + err);
    err = error_of([] { apply_rlimits({{"RLIMIT_NOFILE", 50, 10}}); });
    expect(err.find("RLIMIT_NOFILE") != std::string::npos, "error: " + err);
    ::getrlimit(RLIMIT_NOFILE, &lim);
    expect(lim.rlim_cur == 100 && lim.rlim_max == 200, "a failed call changed NOFILE");
    // Lowering still works; unlimited is ~0.
    apply_rlimits({{"RLIMIT_NOFILE", 64, 128}, {"RLIMIT_STACK", RLIM_INFINITY, RLIM_INFINITY}});
    ::getrlimit(RLIMIT_NOFILE, &lim);
    expect(lim.rlim_cur == 64 && lim.rlim_max == 128, "NOFILE not 64/128");
  });
  INFO(r.out);
  CHECK(r.status == 0);
}

TEST_CASE("apply_user_and_capabilities: uid 1000 with only CAP_NET_BIND_SERVICE") {
  auto r = run_in_child([] {
    Capabilities caps;
    caps.bounding = caps.effective = caps.permitted = {"CAP_NET_BIND_SERVICE"};
    apply_user_and_capabilities({1000, 1001, {2000, 2001}, 027}, caps);
    std::string status = vsrv::read_file("/proc/self/status");
    expect(status_hex(status, "CapEff") == kNetBindService, "CapEff");
    expect(status_hex(status, "CapPrm") == kNetBindService, "CapPrm");
    expect(status_hex(status, "CapBnd") == kNetBindService, "CapBnd");
    expect(status_hex(status, "CapInh") == 0, "CapInh");
    expect(status_hex(status, "CapAmb") == 0, "CapAmb");
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    ::getresuid(&ru, &eu, &su);
    ::getresgid(&rg, &eg, &sg);
    expect(ru == 1000 && eu == 1000 && su == 1000, "uids");
    expect(rg == 1001 && eg == 1001 && sg == 1001, "gids");
    gid_t groups[8];
    int n = ::getgroups(8, groups);
    std::vector<gid_t> g(groups, groups + std::max(n, 0));
    std::sort(g.begin(), g.end());
    expect(g == std::vector<gid_t>{2000, 2001}, "supplementary groups");
    mode_t old = ::umask(0);
    expect(old == 027, "umask");
    expect(::prctl(PR_GET_KEEPCAPS) == 0, "keepcaps left set");
    // The capability really is usable: bind a port below 1024 as uid 1000.
    vsrv::UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    struct sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(1);  // any unused privileged port: bind only, no traffic
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = ::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    expect(rc == 0 || errno == EADDRINUSE, "bind port 1: " + vsrv::test::errno_text());
    // And others are gone.
    expect(::setuid(0) < 0, "setuid(0) worked without CAP_SETUID");
  });
  INFO(r.out);
  CHECK(r.status == 0);
}

TEST_CASE("apply_user_and_capabilities: root keeps exactly the default set") {
  auto r = run_in_child([] {
    apply_user_and_capabilities({}, default_capabilities());
    std::string status = vsrv::read_file("/proc/self/status");
    // CHOWN 0, DAC_OVERRIDE 1, FOWNER 3, FSETID 4, KILL 5, SETGID 6, SETUID 7, SETPCAP 8,
    // NET_BIND_SERVICE 10, NET_RAW 13, SYS_CHROOT 18, MKNOD 27, AUDIT_WRITE 29, SETFCAP 31.
    const unsigned long long want = 0xa80425fbull;
    expect(status_hex(status, "CapEff") == want, "CapEff");
    expect(status_hex(status, "CapPrm") == want, "CapPrm");
    expect(status_hex(status, "CapBnd") == want, "CapBnd");
    expect(status_hex(status, "CapInh") == 0, "CapInh");
    expect(::getuid() == 0 && ::getgid() == 0, "still root");
    gid_t groups[8];
    expect(::getgroups(8, groups) == 0, "supplementary groups not cleared");
  });
  INFO(r.out);
  CHECK(r.status == 0);
}

TEST_CASE("ambient capabilities survive execve as a non-root user") {
  auto r = run_in_child([] {
    Capabilities caps;
    caps.bounding = caps.effective = caps.permitted = caps.inheritable =
        caps.ambient = {"CAP_NET_BIND_SERVICE"};
    apply_user_and_capabilities({1000, 1000, {}, {}}, caps);
    std::string status = vsrv::read_file("/proc/self/status");
    expect(status_hex(status, "CapAmb") == kNetBindService, "CapAmb before exec");
    exec({"/bin/cat", "/proc/self/status"});
  });
  INFO(r.out);
  REQUIRE(r.status == 0);
  CHECK(status_hex(r.out, "CapEff") == kNetBindService);
  CHECK(status_hex(r.out, "CapPrm") == kNetBindService);
  CHECK(status_hex(r.out, "CapAmb") == kNetBindService);
  CHECK(status_hex(r.out, "CapBnd") == kNetBindService);
}

TEST_CASE("without ambient, a non-root user has no capabilities after execve") {
  auto r = run_in_child([] {
    Capabilities caps;
    caps.bounding = caps.effective = caps.permitted = {"CAP_NET_BIND_SERVICE"};
    apply_user_and_capabilities({1000, 1000, {}, {}}, caps);
    exec({"/bin/cat", "/proc/self/status"});
  });
  INFO(r.out);
  REQUIRE(r.status == 0);
  CHECK(status_hex(r.out, "CapEff") == 0);
  CHECK(status_hex(r.out, "CapAmb") == 0);
}

TEST_CASE("apply_user_and_capabilities errors name the capability") {
  auto r = run_in_child([] {
    Capabilities caps = default_capabilities();
    caps.effective.push_back("CAP_FOO");
    std::string err = error_of([&] { apply_user_and_capabilities({1000, 1000, {}, {}}, caps); });
    expect(err.find("CAP_FOO") != std::string::npos, "error: " + err);
    expect(::getuid() == 0, "changed user despite an unknown capability");

    Capabilities amb;
    amb.bounding = amb.effective = amb.permitted = {"CAP_KILL"};
    amb.ambient = {"CAP_KILL"};  // not inheritable: the kernel refuses
    err = error_of([&] { apply_user_and_capabilities({}, amb); });
    expect(err.find("CAP_KILL") != std::string::npos, "error: " + err);
  });
  INFO(r.out);
  CHECK(r.status == 0);
}

TEST_CASE("set_no_new_privs and set_oom_score_adj") {
  auto r = run_in_child([] {
    expect(::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0, "nnp already set");
    set_no_new_privs();
    expect(::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "nnp not set");
    set_oom_score_adj(500);
    expect(vsrv::trim(vsrv::read_file("/proc/self/oom_score_adj")) == "500", "oom_score_adj");
    std::string err = error_of([] { set_oom_score_adj(5000); });
    expect(err.find("5000") != std::string::npos, "error: " + err);
  });
  INFO(r.out);
  CHECK(r.status == 0);
}

namespace {

// Leaves fds 3.. open without CLOEXEC (and one high), then execs ls on its own
// fd table. ls itself opens the directory: with no leak that is fd 3.
vsrv::test::ChildResult list_fds_after_exec(bool cloexec) {
  return run_in_child([cloexec] {
    for (int i = 0; i < 3; ++i) expect(::open("/dev/null", O_RDONLY) >= 0, "open");
    expect(::dup2(0, 100) == 100, "dup2");
    if (cloexec) cloexec_fds_from(3);
    expect(::fcntl(1, F_GETFD) == 0, "stdout marked close-on-exec");
    exec({"/bin/ls", "/proc/self/fd"});
  });
}

}  // namespace

TEST_CASE("cloexec_fds_from(3) leaves only stdio to the next program") {
  auto r = list_fds_after_exec(true);
  INFO(r.out);
  REQUIRE(r.status == 0);
  CHECK(words(r.out) == std::vector<std::string>{"0", "1", "2", "3"});
  // Control: without it, the leaked fds are visible.
  auto leak = list_fds_after_exec(false);
  INFO(leak.out);
  REQUIRE(leak.status == 0);
  CHECK(words(leak.out).size() > 4);
}
