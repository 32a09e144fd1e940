// What a default server's processes (its init and an exec'd one) cannot do:
// the kernel interfaces container engines deny (keys, bpf, mounts, new user
// namespaces, kexec, modules, ...) fail with EPERM or ENOSYS, /proc/kcore and
// /proc/keys give nothing, /sys is read-only, no inheritable capability, no
// file descriptor beyond 0-2.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "harness_escape.hpp"
#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::EscapeLab;
using vsrv::test::key_values;
using vsrv::test::lines_of;
using vsrv::test::Result;

namespace {

// Every probe the server runs, in one shell so one server answers them all.
const char* kScript =
    "probe syscalls; probe self; "
    "probe read /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug; "
    "probe write /sys/kernel/mm/transparent_hugepage/enabled bogus | sed s/^/sys-/; "
    "probe mkdir /sys/fs/vsrv-escape | sed s/^/sys-/";

const char* kDenied[] = {"keyctl",          "add_key",         "request_key",  "bpf",
                         "mount",           "umount",          "unshare_user", "unshare_mnt",
                         "kexec_load",      "kexec_file_load", "init_module",  "open_by_handle_at",
                         "perf_event_open", "userfaultfd",     "pivot_root",   "setns"};

void check_confined(const Result& r) {
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  auto kv = key_values(r.out);
  for (const char* name : kDenied) {
    INFO(name);
    REQUIRE(kv.count(name));
    CHECK((kv[name] == "EPERM" || kv[name] == "ENOSYS"));
  }
  // Masked: a file that reads empty, or nothing there at all.
  for (const char* path : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug"}) {
    INFO(path);
    REQUIRE(kv.count(path));
    CHECK((kv[path] == "0" || kv[path] == "ENOENT" || kv[path] == "EACCES"));
  }
  CHECK(kv["sys-write"] == "EROFS");
  CHECK(kv["sys-mkdir"] == "EROFS");
  CHECK(kv["capinh"] == "0000000000000000");
  CHECK(kv["capamb"] == "0000000000000000");
  std::vector<std::string> fds;
  for (const auto& line : lines_of(r.out))
    if (line.rfind("fd=", 0) == 0) fds.push_back(line.substr(3));
  CHECK(fds == std::vector<std::string>{"0", "1", "2"});
}

}  // namespace

TEST_CASE("a default server's init is denied the dangerous kernel interfaces",
          "[security][escape]") {
  // The host's own files have content: masking them is meaningful. The
  // sysfs file exists (a value it refuses: a failing test changes nothing).
  REQUIRE(!vsrv::read_file("/proc/keys").empty());
  REQUIRE(::access("/sys/kernel/mm/transparent_hugepage/enabled", W_OK) == 0);
  EscapeLab lab;
  std::string bundle =
      lab.make_bundle("default", "process: {args: [sh, -c, " + vsrv::test::yaml_quote(kScript) +
                                     "], terminal: false}\n");
  check_confined(lab.vsrv({"run", "-b", bundle, lab.new_id("init")}));
}

TEST_CASE("a process exec'd into a default server is denied the same", "[security][escape]") {
  EscapeLab lab;
  std::string bundle =
      lab.make_bundle("default", "process: {args: [sleep, '1000'], terminal: false}\n");
  std::string id = lab.new_id("exec");
  Result run = lab.vsrv({"run", "-d", "-b", bundle, id});
  INFO(run.err);
  REQUIRE(run.status == 0);
  check_confined(lab.vsrv({"exec", id, "--", "sh", "-c", kScript}));
  // Another user without capabilities: nothing inheritable or ambient either.
  Result user = lab.vsrv({"exec", "-u", "1000:1000", id, "--", "probe", "self"});
  INFO(user.out << user.err);
  REQUIRE(user.status == 0);
  auto kv = key_values(user.out);
  CHECK(kv["capinh"] == "0000000000000000");
  CHECK(kv["capamb"] == "0000000000000000");
}
