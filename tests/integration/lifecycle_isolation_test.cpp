// What a process inside a server sees: its own pid namespace, hostname and
// root; /proc, /dev and /sys as the default spec says; no host fd.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "harness_vsrv.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::kTemplate;
using vsrv::test::lines_of;
using vsrv::test::Result;
using vsrv::test::sh_spec;
using vsrv::test::VsrvHarness;

namespace {

// `run` (attached) of sh -c script in a new server of the template.
Result run_sh(VsrvHarness& h, const std::string& id, const std::string& script,
              const std::string& extra = "") {
  return h.vsrv({"run", "--template", kTemplate, "-f", h.write_spec(sh_spec(script, extra)), id});
}

// Values of the lines "key=value" in out.
std::vector<std::string> values(const std::string& out, const std::string& key) {
  std::vector<std::string> v;
  for (const auto& line : lines_of(out))
    if (line.rfind(key + "=", 0) == 0) v.push_back(line.substr(key.size() + 1));
  return v;
}

bool has_line(const std::string& out, const std::string& line) {
  auto l = lines_of(out);
  return std::find(l.begin(), l.end(), line) != l.end();
}

// The options field of the /proc/mounts line for mount point dir ("" if none).
std::string mount_options(const std::string& mounts, const std::string& dir) {
  std::string opts;
  for (const auto& line : lines_of(mounts)) {
    auto f = vsrv::split(line, ' ');
    if (f.size() >= 4 && f[1] == dir) opts = f[3];  // the last one covers the others
  }
  return opts;
}

std::set<std::string> option_set(const std::string& opts) {
  auto v = vsrv::split(opts, ',');
  return {v.begin(), v.end()};
}

}  // namespace

TEST_CASE("a server's init is pid 1 and sees no host process", "[lifecycle][isolation]") {
  VsrvHarness h;
  std::string me = std::to_string(::getpid());
  REQUIRE(vsrv::read_file("/proc/self/cmdline").find("integration_lifecycle") != std::string::npos);
  Result r = run_sh(h, h.new_id("pid"),
                    "echo pid=$$; for p in /proc/[0-9]*; do echo proc=${p#/proc/}; done; "
                    "ps -o pid,args | tail -n +2 | while read p a; do echo ps=$p; done; "
                    "cat /proc/[0-9]*/cmdline | tr '\\0' ' ' | grep -c 'integration_[l]ifecycle'; "
                    "[ -e /proc/" +
                        me + " ] && echo host-pid-visible; true");
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(values(r.out, "pid") == std::vector<std::string>{"1"});
  // The shell expands the glob itself: it is the only process.
  CHECK(values(r.out, "proc") == std::vector<std::string>{"1"});
  // ps shows the shell, the pipeline's subshells and itself: all new, small pids.
  auto ps = values(r.out, "ps");
  CHECK(ps.size() >= 2);
  CHECK(ps.size() <= 5);
  CHECK(std::find(ps.begin(), ps.end(), "1") != ps.end());
  for (const auto& p : ps) CHECK(std::stoi(p) < 10);
  CHECK(has_line(r.out, "0"));  // grep -c: no cmdline of the host's test process
  CHECK_FALSE(has_line(r.out, "host-pid-visible"));
}

TEST_CASE("a server has the spec's hostname and the template as its root",
          "[lifecycle][isolation]") {
  VsrvHarness h;
  REQUIRE(::access("/etc/debian_version", F_OK) == 0);  // the host has it; the template does not
  std::string id = h.new_id("root");
  std::string host = "lt-host-" + std::to_string(::getpid());
  Result r = run_sh(h, id,
                    "echo hostname=$(hostname); echo uname=$(uname -n); "
                    "[ -x /bin/busybox ] && echo busybox=yes; "
                    "[ -e /etc/debian_version ] && echo debian=yes; echo w > /written-by-server",
                    "hostname: " + host + "\n");
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(values(r.out, "hostname") == std::vector<std::string>{host});
  CHECK(values(r.out, "uname") == std::vector<std::string>{host});
  CHECK(values(r.out, "busybox") == std::vector<std::string>{"yes"});
  CHECK(values(r.out, "debian").empty());
  // Writes land in the server's own upper layer, not in the shared template.
  CHECK(::access((h.data() + "/servers/" + id + "/upper/written-by-server").c_str(), F_OK) == 0);
  CHECK(::access((h.data() + "/templates/" + kTemplate + "/rootfs/written-by-server").c_str(),
                 F_OK) != 0);
  CHECK(h.state(id).at("rootfs") == h.data() + "/servers/" + id + "/rootfs");
}

TEST_CASE("a server of a bundle has the bundle's rootfs as its root", "[lifecycle][isolation]") {
  VsrvHarness h;
  std::string bundle = h.scratch() + "/bundle";
  vsrv::make_dirs(bundle);
  Result cp = vsrv::test::run(
      {"/bin/cp", "-a", h.data() + "/templates/" + kTemplate + "/rootfs", bundle + "/rootfs"});
  REQUIRE(cp.status == 0);
  std::string token = "marker-" + std::to_string(::getpid());
  vsrv::write_file_atomic(bundle + "/rootfs/marker", token + "\n");
  vsrv::write_file_atomic(
      bundle + "/config.yaml",
      "vsrv: {template: \"\"}\nroot: {path: rootfs}\n" + sh_spec("echo marker=$(cat /marker)"));
  std::string id = h.new_id("bundle");
  Result r = h.vsrv({"run", "-b", bundle, id});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(values(r.out, "marker") == std::vector<std::string>{token});
  auto st = h.state(id);
  CHECK(st.at("bundle") == bundle);
  CHECK(st.at("rootfs") == bundle + "/rootfs");
}

TEST_CASE("/proc, /dev and /sys are as the default spec says", "[lifecycle][isolation]") {
  VsrvHarness h;
  // Masked paths are only meaningful when the host's own file has content.
  std::string host_keys = vsrv::read_file("/proc/keys");
  REQUIRE(!host_keys.empty());
  Result r = run_sh(
      h, h.new_id("fs"),
      "cat /proc/mounts; "
      "for d in null zero full random urandom tty ptmx; do [ -c /dev/$d ] && echo dev=$d; done; "
      "[ -c /dev/pts/ptmx ] && echo dev=pts/ptmx; "
      "echo x > /dev/null && echo null=ok; echo urandom=$(head -c 5 /dev/urandom | wc -c); "
      "echo zero=$(head -c 3 /dev/zero | od -An -tx1 | tr -d ' '); "
      "echo x > /dev/full || echo full=refused; "
      "touch /sys/written 2>/dev/null || echo sys=refused; "
      "echo 1 > /proc/sys/kernel/domainname || echo procsys=refused; "
      "echo keys=$(wc -c < /proc/keys); "
      "[ -e /proc/kcore ] && echo kcore=$(head -c 16 /proc/kcore 2>/dev/null | wc -c); "
      "echo one=$(tr '\\0' ' ' < /proc/1/cmdline | cut -c1-5); true");
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);

  CHECK(values(r.out, "dev") == std::vector<std::string>{"null", "zero", "full", "random",
                                                         "urandom", "tty", "ptmx", "pts/ptmx"});
  CHECK(values(r.out, "null") == std::vector<std::string>{"ok"});
  CHECK(values(r.out, "urandom") == std::vector<std::string>{"5"});
  CHECK(values(r.out, "zero") == std::vector<std::string>{"000000"});
  CHECK(values(r.out, "full") == std::vector<std::string>{"refused"});

  // proc is mounted and is the server's own (its pids are the server's).
  CHECK_FALSE(mount_options(r.out, "/proc").empty());
  REQUIRE(vsrv::read_file("/proc/1/cmdline").rfind("sh", 0) != 0);
  CHECK(values(r.out, "one") == std::vector<std::string>{"sh -c"});
  CHECK(option_set(mount_options(r.out, "/dev/pts")).count("rw"));
  CHECK(r.out.find("devpts /dev/pts devpts") != std::string::npos);

  CHECK(option_set(mount_options(r.out, "/sys")).count("ro"));
  CHECK(values(r.out, "sys") == std::vector<std::string>{"refused"});
  CHECK(option_set(mount_options(r.out, "/proc/sys")).count("ro"));
  CHECK(values(r.out, "procsys") == std::vector<std::string>{"refused"});

  CHECK(values(r.out, "keys") == std::vector<std::string>{"0"});
  if (::access("/proc/kcore", F_OK) == 0)
    CHECK(values(r.out, "kcore") == std::vector<std::string>{"0"});
  else
    CHECK(values(r.out, "kcore").empty());
}

TEST_CASE("no host file descriptor reaches a server's processes", "[lifecycle][isolation]") {
  VsrvHarness h;
  // Descriptors without close-on-exec, inherited by vsrv.
  vsrv::UniqueFd file(::open("/etc/hostname", O_RDONLY));
  REQUIRE(file);
  vsrv::UniqueFd high(::dup2(file.get(), 57));
  REQUIRE(high.get() == 57);
  int p[2];
  REQUIRE(::pipe(p) == 0);
  vsrv::UniqueFd pr(p[0]), pw(p[1]);

  // ls's own directory fd is 3: anything more is a leak.
  const std::vector<std::string> expected = {"0", "1", "2", "3"};
  Result r = run_sh(h, h.new_id("fd"), "ls /proc/self/fd");
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(lines_of(r.out) == expected);

  std::string id = h.new_id("fdx");
  h.run_detached(id, "process: {args: [sleep, '1000'], terminal: false}\n");
  int pid = h.state(id).at("pid").get<int>();
  auto init_fds = [&] {
    Result ls = vsrv::test::run({"/bin/ls", "/proc/" + std::to_string(pid) + "/fd"});
    return lines_of(ls.out);
  }();
  CHECK(init_fds == std::vector<std::string>{"0", "1", "2"});
  Result e = h.vsrv({"exec", id, "--", "ls", "/proc/self/fd"});
  INFO(e.out << e.err);
  REQUIRE(e.status == 0);
  CHECK(lines_of(e.out) == expected);
}
