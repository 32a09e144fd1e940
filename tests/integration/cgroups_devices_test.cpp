// Device rules applied for real by both backends, judged by what a process
// in the cgroup may open and mknod: the v2 backend's BPF program (on this
// hybrid host's cgroup2 mount, and in tests/vm on a pure v2 kernel) and the
// host's own backend (v1 devices.allow/deny here). Replacing the rules keeps
// one program attached.
#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <map>

#include "cgroups_fixture.hpp"
#include "harness.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/cgroups/backends.hpp"

using namespace vsrv::cgroups;

namespace {

DeviceRule rule(bool allow, char type, uint32_t major, uint32_t minor, const std::string& access) {
  return {allow, type, major, minor, *parse_access(access)};
}

std::string errno_name(int err) {
  return err == EPERM    ? "EPERM"
         : err == ENODEV ? "ENODEV"
         : err == ENXIO  ? "ENXIO"
                         : std::to_string(err);
}

// What a process placed in cg gets: "ok" or the errno name, per operation.
// "open:PATH" opens read-write, "mknod:c:MAJ:MIN" makes a node in dir.
std::map<std::string, std::string> try_in(cgtest::Fixture& fx, Cgroup& cg,
                                          const std::vector<std::string>& ops,
                                          const std::string& dir) {
  vsrv::Pipe go = vsrv::Pipe::make(), out = vsrv::Pipe::make();
  pid_t pid = cgtest::fork_child();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    go.write.reset();
    char c;
    if (::read(go.read.get(), &c, 1) != 1) _exit(2);
    std::string report;
    int n = 0;
    for (const std::string& op : ops) {
      int rc;
      if (op.rfind("open:", 0) == 0) {
        rc = ::open(op.c_str() + 5, O_RDWR | O_CLOEXEC);
        if (rc >= 0) ::close(rc);
      } else {
        auto f = vsrv::split(op, ':');  // mknod:TYPE:MAJ:MIN
        std::string path = dir + "/node" + std::to_string(n++);
        mode_t mode = (f[1] == "b" ? S_IFBLK : S_IFCHR) | 0600;
        rc = ::mknod(path.c_str(), mode, makedev(std::stoi(f[2]), std::stoi(f[3])));
        if (rc == 0) ::unlink(path.c_str());
      }
      report += op + "=" + (rc >= 0 ? "ok" : errno_name(errno)) + "\n";
    }
    (void)!::write(out.write.get(), report.data(), report.size());
    _exit(0);
  }
  fx.track(pid);
  go.read.reset();
  out.write.reset();
  cg.add(pid);
  REQUIRE(::write(go.write.get(), "x", 1) == 1);
  std::string text;
  char buf[512];
  for (ssize_t got; (got = ::read(out.read.get(), buf, sizeof buf)) > 0;)
    text.append(buf, static_cast<size_t>(got));
  fx.wait(pid);
  std::map<std::string, std::string> result;
  for (const auto& l : vsrv::split(text, '\n')) {
    size_t eq = l.find('=');
    if (eq != std::string::npos) result[l.substr(0, eq)] = l.substr(eq + 1);
  }
  REQUIRE(result.size() == ops.size());
  return result;
}

size_t programs_attached(const std::string& dir) {
  vsrv::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(fd);
  uint32_t ids[16];
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.query.target_fd = static_cast<uint32_t>(fd.get());
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = reinterpret_cast<uintptr_t>(ids);
  attr.query.prog_cnt = 16;
  REQUIRE(::syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof attr) == 0);
  return attr.query.prog_cnt;
}

// The host's own answer for a device it opens read-write ("ok" or errno).
std::string host_open(const std::string& path) {
  vsrv::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  return fd ? "ok" : errno_name(errno);
}

const std::vector<std::string> kOps = {"open:/dev/null", "open:/dev/full", "open:/dev/hwrng",
                                       "mknod:c:10:183", "mknod:b:7:200"};

void check_rules(cgtest::Fixture& fx, Cgroup& cg, const std::string& scratch) {
  std::vector<DeviceRule> rules = default_device_rules();
  rules.push_back(rule(false, 'c', 1, 7, "rw"));
  Resources r;
  r.devices = rules;
  cg.apply(r);
  auto got = try_in(fx, cg, kOps, scratch);
  CHECK(got["open:/dev/null"] == "ok");
  CHECK(got["open:/dev/full"] == "EPERM");
  CHECK(got["open:/dev/hwrng"] == "EPERM");
  CHECK(got["mknod:c:10:183"] == "ok");
  CHECK(got["mknod:b:7:200"] == "ok");

  // Replaced: hwrng allowed, /dev/full back, mknod of block devices denied.
  rules = default_device_rules();
  rules.push_back(rule(true, 'c', 10, 183, "rw"));
  rules.push_back({false, 'b', std::nullopt, std::nullopt, kDevMknod});
  r.devices = rules;
  cg.apply(r);
  got = try_in(fx, cg, kOps, scratch);
  CHECK(got["open:/dev/null"] == "ok");
  CHECK(got["open:/dev/full"] == "ok");
  CHECK(got["open:/dev/hwrng"] != "EPERM");
  CHECK(got["open:/dev/hwrng"] == host_open("/dev/hwrng"));
  CHECK(got["mknod:b:7:200"] == "EPERM");
}

}  // namespace

TEST_CASE("v2: device rules are one BPF program, replaced in place") {
  cgtest::Fixture fx;
  vsrv::test::TempDir scratch("vsrv-devtest");
  auto cg = create_v2_at(cgtest::v2_mount(), fx.top() + "/d");
  const std::string dir = cg->dirs()[0];
  CHECK(programs_attached(dir) == 0);
  check_rules(fx, *cg, scratch.path());
  CHECK(programs_attached(dir) == 1);
  // Reopened (as update does): still one program after another apply.
  auto again = Cgroup::load({dir});
  Resources r;
  r.devices = default_device_rules();
  again->apply(r);
  CHECK(programs_attached(dir) == 1);
  CHECK(try_in(fx, *again, {"open:/dev/full"}, scratch.path())["open:/dev/full"] == "ok");
  // No rules: allow all, one (empty) program.
  r.devices = std::vector<DeviceRule>{};
  again->apply(r);
  CHECK(programs_attached(dir) == 1);
  CHECK(try_in(fx, *again, {"open:/dev/hwrng"}, scratch.path())["open:/dev/hwrng"] ==
        host_open("/dev/hwrng"));
  cg->remove();
}

TEST_CASE("the host's backend: device rules decide open and mknod") {
  cgtest::Fixture fx;
  vsrv::test::TempDir scratch("vsrv-devtest");
  auto cg = Cgroup::create(fx.top() + "/d");
  check_rules(fx, *cg, scratch.path());
  if (cg->backend() == Backend::kV1) {
    // devices.list shows the last state: the defaults, 10:183 rw, and no b *:* m.
    std::string list;
    for (const auto& d : cg->dirs())
      if (d.find("/sys/fs/cgroup/devices/") == 0) list = vsrv::read_file(d + "/devices.list");
    auto listed = parse_devices_list(list);
    CHECK_FALSE(listed.exceptions_unknown);
    CHECK(listed.state.exceptions.size() == 10);
    CHECK(listed.state.exceptions.count({'c', 10, 183}) == 1);
    CHECK(listed.state.exceptions.count({'b', std::nullopt, std::nullopt}) == 0);
  }
  // A rule the device cgroup cannot express is an error naming the field.
  Resources r;
  r.devices = default_device_rules();
  r.devices->push_back(rule(false, 'c', 1, 3, "m"));
  CHECK_THROWS_WITH(cg->apply(r),
                    "linux.resources.devices: cannot deny \"c 1:3 m\" while \"c *:* m\" allows "
                    "it: the device cgroup keeps whole rules and cannot cut a hole in a wider one");
  cg->remove();
}
