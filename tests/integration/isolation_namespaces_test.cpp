// Namespaces on the real kernel: hostname, loopback, user ns id maps, joining
// by path and by process. Every namespace is created in a forked child.
#include <arpa/inet.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "isolation_child.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/isolation/namespaces.hpp"
#include "vsrv/isolation/process.hpp"

using namespace vsrv::isolation;
using vsrv::Pipe;
using vsrv::test::ChildGuard;
using vsrv::test::expect;
using vsrv::test::run_in_child;

namespace {

std::string hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

bool lo_is_up() {
  vsrv::UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  expect(bool(sock), "socket");
  struct ifreq ifr = {};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  expect(::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) == 0, "SIOCGIFFLAGS");
  return ifr.ifr_flags & IFF_UP;
}

// A child that unshares `flags`, optionally sets a hostname, reports ready and
// sleeps until killed (by the guard).
struct Holder {
  ChildGuard guard;
  explicit Holder(int flags, const std::string& name = "") : guard(start(flags, name)) {}
  static ChildGuard start(int flags, const std::string& name) {
    Pipe ready = Pipe::make();
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork");
    if (pid == 0) {
      ::alarm(60);
      if (::unshare(flags) < 0) ::_exit(1);
      if (!name.empty() && ::sethostname(name.data(), name.size()) < 0) ::_exit(2);
      vsrv::test::send_byte(ready.write.get());
      for (;;) ::pause();
    }
    ChildGuard guard(pid);
    ready.write.reset();
    if (!vsrv::test::wait_byte(ready.read.get())) throw std::runtime_error("holder failed");
    return guard;
  }
  std::string ns(const char* name) const {
    return "/proc/" + std::to_string(guard.get()) + "/ns/" + name;
  }
};

}  // namespace

TEST_CASE("set_hostname in a new UTS namespace") {
  const std::string before = hostname();
  auto r = run_in_child([] {
    expect(::unshare(CLONE_NEWUTS) == 0, "unshare uts");
    set_hostname("vsrv-test-uts");
    expect(hostname() == "vsrv-test-uts", "hostname is " + hostname());
  });
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(hostname() == before);
}

TEST_CASE("bring_up_loopback in a new network namespace") {
  auto r = run_in_child([] {
    expect(::unshare(CLONE_NEWNET) == 0, "unshare net");
    expect(!lo_is_up(), "lo is already up in a fresh netns");
    bring_up_loopback();
    expect(lo_is_up(), "lo is not up");
    bring_up_loopback();  // idempotent
    // lo carries traffic: UDP to ourselves on 127.0.0.1.
    vsrv::UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    struct sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    expect(::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "bind");
    socklen_t len = sizeof addr;
    ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    expect(::sendto(s.get(), "hi", 2, 0, reinterpret_cast<sockaddr*>(&addr), len) == 2,
           "sendto 127.0.0.1: " + vsrv::test::errno_text());
    char buf[4];
    expect(::recv(s.get(), buf, sizeof buf, 0) == 2, "recv");
  });
  INFO(r.out);
  CHECK(r.status == 0);
}

TEST_CASE("write_id_maps maps a new user namespace") {
  // The child becomes host uid/gid 100000 and unshares a user namespace; the
  // parent (root) writes the maps; inside, the child is then uid 0.
  Pipe to_parent = Pipe::make();
  Pipe to_child = Pipe::make();
  Pipe report = Pipe::make();
  ChildGuard child(::fork());
  REQUIRE(child.get() >= 0);
  if (child.get() == 0) {
    ::alarm(30);
    std::string msg;
    try {
      expect(::setgroups(0, nullptr) == 0, "setgroups");
      expect(::setresgid(100000, 100000, 100000) == 0, "setresgid");
      expect(::setresuid(100000, 100000, 100000) == 0, "setresuid");
      expect(::unshare(CLONE_NEWUSER) == 0, "unshare user: " + vsrv::test::errno_text());
      vsrv::test::send_byte(to_parent.write.get());
      expect(vsrv::test::wait_byte(to_child.read.get()), "parent gave up");
      std::ostringstream os;
      os << ::getuid() << " " << ::getgid() << "\n"
         << vsrv::read_file("/proc/self/uid_map") << vsrv::read_file("/proc/self/gid_map");
      msg = os.str();
    } catch (const std::exception& e) {
      msg = std::string("error: ") + e.what();
    }
    vsrv::write_all(report.write.get(), msg.data(), msg.size());
    ::_exit(0);
  }
  to_parent.write.reset();
  report.write.reset();
  REQUIRE(vsrv::test::wait_byte(to_parent.read.get()));
  write_id_maps(child.get(), {{0, 100000, 65536}}, {{0, 100000, 65536}});
  vsrv::test::send_byte(to_child.write.get());
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = ::read(report.read.get(), buf, sizeof buf)) > 0) out.append(buf, n);
  REQUIRE(child.wait() == 0);
  INFO(out);
  std::istringstream in(out);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  REQUIRE(words.size() == 8);
  CHECK(words[0] == "0");  // uid
  CHECK(words[1] == "0");  // gid
  CHECK(words[2] == "0");
  CHECK(words[3] == "100000");
  CHECK(words[4] == "65536");
  CHECK(words[5] == "0");
  CHECK(words[6] == "100000");
  CHECK(words[7] == "65536");
}

TEST_CASE("write_id_maps to a missing process fails naming the file") {
  try {
    write_id_maps(999999999, {{0, 100000, 1}}, {});
    FAIL("no error");
  } catch (const vsrv::Error& e) {
    CHECK(std::string(e.what()).find("/proc/999999999/uid_map") != std::string::npos);
  }
}

TEST_CASE("join_namespace_paths joins a network namespace by path") {
  Holder holder(CLONE_NEWNET | CLONE_NEWUTS, "vsrv-holder");
  const auto net = vsrv::test::ns_inode(holder.ns("net"));
  REQUIRE(net != vsrv::test::ns_inode("/proc/self/ns/net"));
  const auto own_pid_children = vsrv::test::ns_inode("/proc/self/ns/pid_for_children");
  auto r = run_in_child([&] {
    // pid is listed but must be skipped (it is joined by the parent before clone).
    join_namespace_paths({{NsType::kPid, holder.ns("pid")},
                          {NsType::kNetwork, holder.ns("net")},
                          {NsType::kMount, ""},
                          {NsType::kUts, holder.ns("uts")}});
    expect(vsrv::test::ns_inode("/proc/self/ns/net") == net, "not in the holder's netns");
    expect(hostname() == "vsrv-holder", "hostname " + hostname());
    expect(vsrv::test::ns_inode("/proc/self/ns/pid_for_children") == own_pid_children,
           "pid namespace was joined");
  });
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(vsrv::test::ns_inode("/proc/self/ns/net") != net);
}

TEST_CASE("join_namespace_paths opens every path before joining any") {
  Holder holder(CLONE_NEWNET);
  const auto own_net = vsrv::test::ns_inode("/proc/self/ns/net");
  auto r = run_in_child([&] {
    try {
      join_namespace_paths(
          {{NsType::kNetwork, holder.ns("net")}, {NsType::kIpc, "/nonexistent/vsrv/ipc"}});
    } catch (const vsrv::Error& e) {
      std::string msg = e.what();
      expect(msg.find("ipc namespace") != std::string::npos, msg);
      expect(msg.find("/nonexistent/vsrv/ipc") != std::string::npos, msg);
      expect(vsrv::test::ns_inode("/proc/self/ns/net") == own_net, "joined before failing");
      return;
    }
    throw std::runtime_error("no error for a missing path");
  });
  INFO(r.out);
  CHECK(r.status == 0);
}

TEST_CASE("join_namespace_paths: a path that is not that namespace type is an error") {
  Holder holder(CLONE_NEWNET);
  auto r = run_in_child([&] {
    try {
      join_namespace_paths({{NsType::kUts, holder.ns("net")}});
    } catch (const vsrv::Error& e) {
      std::string msg = e.what();
      expect(msg.find("join uts namespace " + holder.ns("net")) != std::string::npos, msg);
      return;
    }
    throw std::runtime_error("joined a net namespace as uts");
  });
  INFO(r.out);
  CHECK(r.status == 0);
}

TEST_CASE("open_process_namespaces + join_process_namespaces enter a process's namespaces") {
  // The target has its own uts and pid namespaces (clone, so it is pid 1 there).
  Pipe ready = Pipe::make();
  pid_t pid = static_cast<pid_t>(
      ::syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWUTS | SIGCHLD, 0, nullptr, nullptr, 0));
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::alarm(60);
    const char name[] = "vsrv-exec-target";
    if (::sethostname(name, sizeof name - 1) < 0) ::_exit(2);
    vsrv::test::send_byte(ready.write.get());
    for (;;) ::pause();
  }
  ChildGuard target(pid);
  ready.write.reset();
  REQUIRE(vsrv::test::wait_byte(ready.read.get()));
  const std::string proc = "/proc/" + std::to_string(pid) + "/ns/";
  const auto target_pid_ns = vsrv::test::ns_inode(proc + "pid");

  ProcessNamespaces ns = open_process_namespaces(pid);
  struct Closer {
    ProcessNamespaces& ns;
    ~Closer() { ns.close(); }
  } closer{ns};
  CHECK(ns.fds.size() >= 7);
  CHECK(ns.fds.front().first == NsType::kUser);

  SECTION("without pid") {
    auto r = run_in_child([&] {
      join_process_namespaces(ns, false);
      expect(hostname() == "vsrv-exec-target", "hostname " + hostname());
      expect(vsrv::test::ns_inode("/proc/self/ns/pid_for_children") != target_pid_ns,
             "pid namespace joined without include_pid");
    });
    INFO(r.out);
    CHECK(r.status == 0);
  }
  SECTION("with pid: children are in the target's pid namespace") {
    auto r = run_in_child([&] {
      join_process_namespaces(ns, true);
      expect(hostname() == "vsrv-exec-target", "hostname " + hostname());
      pid_t grandchild = ::fork();
      expect(grandchild >= 0, "fork");
      if (grandchild == 0) {
        bool ok = vsrv::test::ns_inode("/proc/self/ns/pid") == target_pid_ns && ::getpid() > 1;
        ::_exit(ok ? 0 : 1);
      }
      int status = 0;
      ::waitpid(grandchild, &status, 0);
      expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "grandchild not in the pid ns");
    });
    INFO(r.out);
    CHECK(r.status == 0);
  }
  ns.close();
  CHECK(ns.fds.empty());
}

TEST_CASE("open_process_namespaces of a missing process fails") {
  CHECK_THROWS_AS(open_process_namespaces(999999999), vsrv::Error);
}

TEST_CASE("join_process_namespaces enters a process's user namespace first") {
  Pipe ready = Pipe::make();
  Pipe go = Pipe::make();
  pid_t pid = static_cast<pid_t>(
      ::syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWUTS | SIGCHLD, 0, nullptr, nullptr, 0));
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::alarm(60);
    go.write.reset();
    if (!vsrv::test::wait_byte(go.read.get())) ::_exit(1);  // maps written
    const char name[] = "vsrv-userns-target";
    if (::sethostname(name, sizeof name - 1) < 0) ::_exit(2);
    vsrv::test::send_byte(ready.write.get());
    for (;;) ::pause();
  }
  ChildGuard target(pid);
  ready.write.reset();
  write_id_maps(pid, {{0, 100000, 65536}}, {{0, 100000, 65536}});
  vsrv::test::send_byte(go.write.get());
  REQUIRE(vsrv::test::wait_byte(ready.read.get()));
  const auto user_ns = vsrv::test::ns_inode("/proc/" + std::to_string(pid) + "/ns/user");

  ProcessNamespaces ns = open_process_namespaces(pid);
  struct Closer {
    ProcessNamespaces& ns;
    ~Closer() { ns.close(); }
  } closer{ns};
  auto r = run_in_child([&] {
    join_process_namespaces(ns, false);
    expect(vsrv::test::ns_inode("/proc/self/ns/user") == user_ns, "not in the user namespace");
    expect(hostname() == "vsrv-userns-target", "hostname " + hostname());
    // Host uid 0 is not mapped in there.
    expect(::getuid() == 65534, "uid " + std::to_string(::getuid()));
  });
  INFO(r.out);
  CHECK(r.status == 0);
}
