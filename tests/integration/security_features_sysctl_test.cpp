// linux.sysctl in a real server: namespaced keys take effect inside and not
// on the host; bad keys fail before anything exists; a write cannot be
// redirected by mounts over /proc (the CVE-2025-52881 class).
#include <sched.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/shm.h>

#include <catch2/catch.hpp>
#include <string>

#include "harness_vsrv.hpp"
#include "isolation_child.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/isolation/sysctl.hpp"

using vsrv::test::expect;
using vsrv::test::kTemplate;
using vsrv::test::one_error_line;
using vsrv::test::Result;
using vsrv::test::run_in_child;
using vsrv::test::sh_spec;
using vsrv::test::VsrvHarness;

namespace {

std::string host_value(const std::string& path) {
  return vsrv::trim(vsrv::read_file("/proc/sys/" + path));
}

unsigned long ipc_shmmax() {
  struct shminfo info = {};
  if (::shmctl(0, IPC_INFO, reinterpret_cast<struct shmid_ds*>(&info)) < 0) return 0;
  return info.shmmax;
}

}  // namespace

TEST_CASE("namespaced sysctls take effect inside the server only", "[security][sysctl]") {
  VsrvHarness h;
  const std::string files[] = {"kernel/shmmax",     "kernel/msgmax",
                               "fs/mqueue/msg_max", "net/ipv4/ip_forward",
                               "kernel/domainname", "net/ipv4/ping_group_range"};
  std::vector<std::string> before;
  for (const auto& f : files) before.push_back(host_value(f));

  std::string script;
  for (const auto& f : files) script += "echo " + f + "=$(cat /proc/sys/" + f + "); ";
  const std::string sysctl =
      "linux:\n  sysctl:\n"
      "    kernel.shmmax: \"123456789\"\n"
      "    kernel.msgmax: \"4321\"\n"
      "    fs.mqueue.msg_max: \"77\"\n"
      "    net.ipv4.ip_forward: \"1\"\n"
      "    kernel.domainname: example.org\n"
      "    net/ipv4/ping_group_range: \"0 0\"\n";
  Result r = h.vsrv({"run", "--template", kTemplate, "--rm", "-f",
                     h.write_spec(sh_spec(script, sysctl)), h.new_id("sy")});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("kernel/shmmax=123456789\n") != std::string::npos);
  CHECK(r.out.find("kernel/msgmax=4321\n") != std::string::npos);
  CHECK(r.out.find("fs/mqueue/msg_max=77\n") != std::string::npos);
  CHECK(r.out.find("net/ipv4/ip_forward=1\n") != std::string::npos);
  CHECK(r.out.find("kernel/domainname=example.org\n") != std::string::npos);
  CHECK(r.out.find("net/ipv4/ping_group_range=0 0\n") != std::string::npos);
  for (size_t i = 0; i < before.size(); ++i) {
    INFO(files[i]);
    CHECK(host_value(files[i]) == before[i]);
  }
}

TEST_CASE("a refused or failing sysctl leaves nothing behind", "[security][sysctl]") {
  VsrvHarness h;
  const std::string swappiness = host_value("vm/swappiness");
  SECTION("a host-wide key is refused before anything is made") {
    const std::string id = h.new_id("syb");
    Result r =
        h.vsrv({"run", "--template", kTemplate, "-f",
                h.write_spec(sh_spec("true", "linux:\n  sysctl: {vm.swappiness: \"7\"}\n")), id});
    CHECK(r.status == 1);
    CHECK(one_error_line(r.err));
    CHECK(r.err.find("linux.sysctl.vm.swappiness: not a namespaced sysctl") != std::string::npos);
    CHECK(h.traces(id).empty());
  }
  SECTION("a namespaced key the kernel does not have fails the create, naming it") {
    const std::string id = h.new_id("syn");
    Result r =
        h.vsrv({"run", "--template", kTemplate, "-f",
                h.write_spec(sh_spec("true", "linux:\n  sysctl: {kernel.shmnope: \"7\"}\n")), id});
    CHECK(r.status == 1);
    CHECK(one_error_line(r.err));
    CHECK(r.err.find("sysctl kernel.shmnope") != std::string::npos);
    CHECK(h.traces(id).empty());
  }
  SECTION("a value the kernel refuses") {
    const std::string id = h.new_id("syv");
    Result r =
        h.vsrv({"run", "--template", kTemplate, "-f",
                h.write_spec(sh_spec("true", "linux:\n  sysctl: {kernel.shmmax: bogus}\n")), id});
    CHECK(r.status == 1);
    CHECK(r.err.find("sysctl kernel.shmmax = bogus") != std::string::npos);
    CHECK(h.traces(id).empty());
  }
  CHECK(host_value("vm/swappiness") == swappiness);
}

TEST_CASE("mounts over /proc cannot redirect a sysctl write", "[security][sysctl]") {
  vsrv::test::TempDir dir("vsrv-sysctl");
  const std::string decoy = dir.path() + "/decoy";
  auto attack = [&](const std::function<void()>& mount_over) {
    vsrv::write_file_atomic(decoy, "untouched", 0644);
    auto r = run_in_child([&] {
      // A private ipc namespace, so the real write changes nothing on the host.
      expect(::unshare(CLONE_NEWNS | CLONE_NEWIPC) == 0, "unshare");
      expect(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0, "make / private");
      mount_over();
      vsrv::isolation::apply_sysctls({{"kernel.shmmax", "4242"}});
      expect(ipc_shmmax() == 4242, "shmmax is " + std::to_string(ipc_shmmax()));
    });
    INFO(r.out);
    CHECK(r.status == 0);
    CHECK(vsrv::read_file(decoy) == "untouched");
  };
  SECTION("a file bound over the sysctl") {
    attack([&] {
      expect(::mount(decoy.c_str(), "/proc/sys/kernel/shmmax", nullptr, MS_BIND, nullptr) == 0,
             "bind decoy");
    });
  }
  SECTION("a tmpfs over /proc/sys holding a look-alike") {
    attack([&] {
      expect(::mount("tmpfs", "/proc/sys", "tmpfs", 0, nullptr) == 0, "tmpfs over /proc/sys");
      vsrv::make_dirs("/proc/sys/kernel");
      expect(::symlink(decoy.c_str(), "/proc/sys/kernel/shmmax") == 0, "symlink to decoy");
    });
  }
  SECTION("a tmpfs over all of /proc") {
    attack([&] {
      expect(::mount("tmpfs", "/proc", "tmpfs", 0, nullptr) == 0, "tmpfs over /proc");
      vsrv::make_dirs("/proc/sys/kernel");
      expect(::symlink(decoy.c_str(), "/proc/sys/kernel/shmmax") == 0, "symlink to decoy");
    });
  }
}
