// CVE-2025-31133 class: masking through a /dev/null the server controls.
// Masked paths are covered with the server's /dev/null; if that is a symlink
// (say to /proc/sys/kernel/core_pattern), a regular file, another device or
// a directory, binding it would unmask the path or bind a writable kernel
// file somewhere the server can write. The server's own /dev (no /dev tmpfs
// in these specs) offers each of them, statically and swapped in and out by
// another server while this one is created. Creation must fail with one
// error line, or succeed with every masked path covered by the real null
// device (1:3, reads nothing); core_pattern and the host's mounts unchanged.
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "harness_escape.hpp"
#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::EscapeLab;
using vsrv::test::key_values;
using vsrv::test::Result;

namespace {

const char* kCorePattern = "/proc/sys/kernel/core_pattern";

// No /dev tmpfs: the rootfs's (or the bound) /dev is the server's /dev.
std::string spec_without_dev_tmpfs(const std::string& extra_mounts) {
  return "process: {args: [sh, -c, 'probe stat /proc/kcore /proc/keys /proc/timer_list; probe "
         "read /proc/keys /proc/timer_list'], terminal: false}\n"
         "mounts:\n"
         "  - {destination: /proc, type: proc, source: proc, options: [nosuid, noexec, nodev]}\n"
         "  - {destination: /sys, type: sysfs, source: sysfs, options: [nosuid, noexec, nodev, "
         "ro]}\n" +
         extra_mounts;
}

// The outcome of a run: refused with one line about /dev/null, or masked by 1:3.
void check_masked_or_refused(const Result& r) {
  INFO(r.status << "\n" << r.out << r.err);
  if (r.status != 0) {
    CHECK(r.status == 1);
    CHECK(vsrv::test::one_error_line(r.err));
    CHECK(r.err.find("/dev/null") != std::string::npos);
    return;
  }
  auto kv = key_values(r.out);
  for (const char* p : {"/proc/keys", "/proc/timer_list"}) {
    INFO(p);
    CHECK(kv[std::string("stat:") + p] == "c:1:3");
    CHECK(kv[p] == "0");
  }
  CHECK((kv["stat:/proc/kcore"] == "c:1:3" || kv["stat:/proc/kcore"] == "ENOENT"));
}

void mknod_null(const std::string& path) {
  REQUIRE(::mknod(path.c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
}

}  // namespace

TEST_CASE("a rootfs /dev/null that is not the null device cannot unmask anything",
          "[security][escape]") {
  EscapeLab lab;
  const std::string core_pattern = vsrv::read_file(kCorePattern);
  struct Case {
    std::string name;
    void (*make)(const std::string& path);
  };
  const Case cases[] = {
      {"symlink-core-pattern",
       [](const std::string& p) { REQUIRE(::symlink(kCorePattern, p.c_str()) == 0); }},
      {"symlink-host-file",
       [](const std::string& p) { REQUIRE(::symlink("/etc/shadow", p.c_str()) == 0); }},
      {"regular-file", [](const std::string& p) { vsrv::write_file_atomic(p, "unmasked\n"); }},
      {"zero-device",
       [](const std::string& p) {
         REQUIRE(::mknod(p.c_str(), S_IFCHR | 0666, makedev(1, 5)) == 0);
       }},
      {"directory", [](const std::string& p) { vsrv::make_dirs(p + "/sub"); }},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    std::string rootfs = lab.make_rootfs(c.name);
    c.make(rootfs + "/dev/null");
    std::string bundle = lab.make_bundle(c.name, spec_without_dev_tmpfs(""));
    Result r = lab.vsrv({"run", "-b", bundle, lab.new_id("null")});
    INFO(r.out << r.err);
    CHECK(r.status == 1);
    check_masked_or_refused(r);
  }
  // The real thing in the same place works: the check is not a blanket refusal.
  std::string rootfs = lab.make_rootfs("real-null");
  mknod_null(rootfs + "/dev/null");
  Result ok = lab.vsrv(
      {"run", "-b", lab.make_bundle("real-null", spec_without_dev_tmpfs("")), lab.new_id("null")});
  CHECK(ok.status == 0);
  check_masked_or_refused(ok);
  CHECK(vsrv::read_file(kCorePattern) == core_pattern);
  CHECK(vsrv::test::host_mounts_mentioning(lab.dir()).empty());
}

TEST_CASE("a /dev/null swapped by another server during create cannot unmask anything",
          "[security][escape]") {
  EscapeLab lab;
  const std::string core_pattern = vsrv::read_file(kCorePattern);
  // A /dev shared by two servers: A swaps its null device and a symlink to
  // core_pattern back and forth while B, which uses it as its /dev, is made.
  std::string dev = lab.dir() + "/shared-dev";
  vsrv::make_dirs(dev, 0755);
  mknod_null(dev + "/null");
  REQUIRE(::symlink(kCorePattern, (dev + "/evil").c_str()) == 0);
  std::string a = lab.new_id("swapper");
  Result run_a = lab.vsrv(
      {"run", "-d", "-b",
       lab.make_bundle("swapper",
                       "process: {args: [probe, swap, /shared/null, /shared/evil, /shared/stop, "
                       "/shared/report], terminal: false}\n"
                       "mounts:\n"
                       "  - {destination: /proc, type: proc, source: proc}\n"
                       "  - {destination: /dev, type: tmpfs, source: tmpfs}\n"
                       "  - {destination: /shared, type: bind, source: " +
                           dev + ", options: [bind]}\n"),
       a});
  INFO(run_a.err);
  REQUIRE(run_a.status == 0);

  std::string bundle = lab.make_bundle(
      "victim", spec_without_dev_tmpfs("  - {destination: /dev, type: bind, source: " + dev +
                                       ", options: [bind]}\n"));
  int refused = 0, masked = 0;
  for (int i = 0; i < 20; ++i) {
    Result r = lab.vsrv({"run", "-b", bundle, lab.new_id("victim")});
    check_masked_or_refused(r);
    ++(r.status == 0 ? masked : refused);
  }
  vsrv::write_file_atomic(dev + "/stop", "");
  for (int i = 0; i < 250 && ::access((dev + "/report").c_str(), F_OK) != 0; ++i)
    vsrv::test::sleep_ms(20);
  auto report = key_values(vsrv::read_file(dev + "/report"));
  INFO("refused " << refused << ", masked " << masked << ", swaps " << report["swaps"]);
  CHECK(std::stol(report["swaps"]) > 0);
  CHECK(refused + masked == 20);
  CHECK(vsrv::read_file(kCorePattern) == core_pattern);
  CHECK(vsrv::test::host_mounts_mentioning(lab.dir()).empty());
}
