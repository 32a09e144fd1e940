// linux.devices in real servers: nodes made inside the root with the asked
// type, numbers, mode and owner; a clash refused; and a /dev that is a
// symlink in the rootfs cannot lead the node out onto the host.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <catch2/catch.hpp>
#include <string>

#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::kTemplate;
using vsrv::test::one_error_line;
using vsrv::test::Result;
using vsrv::test::sh_spec;
using vsrv::test::VsrvHarness;

namespace {

const char* kStat =
    "for f in /dev/fuse /dev/sub/ctl /dev/myfifo /dev/blk /dev/null; do "
    "stat -c '%n %F %t %T %a %u %g' $f; done";

const char* kDevices =
    "linux:\n  devices:\n"
    "    - {path: /dev/fuse, type: c, major: 10, minor: 229, fileMode: 0620, uid: 1, gid: 2}\n"
    "    - {path: /dev/sub/ctl, type: u, major: 10, minor: 237}\n"
    "    - {path: /dev/myfifo, type: p, fileMode: 0600}\n"
    "    - {path: /dev/blk, type: b, major: 7, minor: 0, fileMode: 0660, gid: 6}\n"
    "    - {path: /dev/null, type: c, major: 1, minor: 3}\n";

}  // namespace

TEST_CASE("devices are made inside the server as the spec says", "[security][devices]") {
  VsrvHarness h;
  Result r = h.vsrv({"run", "--template", kTemplate, "--rm", "-f",
                     h.write_spec(sh_spec(kStat, kDevices)), h.new_id("dv")});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out ==
        "/dev/fuse character special file a e5 620 1 2\n"
        "/dev/sub/ctl character special file a ed 666 0 0\n"
        "/dev/myfifo fifo 0 0 600 0 0\n"
        "/dev/blk block special file 7 0 660 0 6\n"
        "/dev/null character special file 1 3 666 0 0\n");
  // None of them reached the host.
  struct stat st;
  CHECK(::lstat("/dev/myfifo", &st) < 0);
  CHECK(::lstat("/dev/sub", &st) < 0);
}

TEST_CASE("a device clashing with another node is refused, nothing left", "[security][devices]") {
  VsrvHarness h;
  const std::string id = h.new_id("dvc");
  // /dev/null is made by vsrv as 1:3; 1:5 there is not the same device.
  Result r =
      h.vsrv({"run", "--template", kTemplate, "-f",
              h.write_spec(sh_spec("true",
                                   "linux:\n  devices: [{path: /dev/null, type: c, major: 1, "
                                   "minor: 5}]\n")),
              id});
  CHECK(r.status == 1);
  CHECK(one_error_line(r.err));
  CHECK(r.err.find("device /dev/null: exists in the rootfs and is not that device") !=
        std::string::npos);
  CHECK(h.traces(id).empty());
}

TEST_CASE("a /dev symlink in the rootfs does not lead a device onto the host",
          "[security][devices]") {
  VsrvHarness h;
  vsrv::test::TempDir host("vsrv-dev-host");  // where the symlink points on the host
  const std::string bundle = h.scratch() + "/bundle";
  vsrv::make_dirs(bundle);
  Result cp = vsrv::test::run(
      {"/bin/cp", "-a", h.data() + "/templates/" + kTemplate + "/rootfs", bundle + "/rootfs"});
  REQUIRE(cp.status == 0);
  vsrv::remove_tree(bundle + "/rootfs/dev");
  REQUIRE(::symlink(host.path().c_str(), (bundle + "/rootfs/dev").c_str()) == 0);
  // No /dev tmpfs: the devices go into the rootfs's own /dev, the symlink
  // (/dev/null too, which the masks need).
  vsrv::write_file_atomic(
      bundle + "/config.yaml",
      sh_spec("stat -c '%n %F %t %T' /dev/fuse",
              "vsrv: {template: \"\"}\nmounts: [{destination: /proc, type: proc, source: proc}]\n"
              "linux:\n  devices: [{path: /dev/fuse, type: c, major: 10, minor: 229},\n"
              "            {path: /dev/null, type: c, major: 1, minor: 3}]\n"),
      0644);
  Result r = h.vsrv({"run", "--rm", "-b", bundle, h.new_id("dvs")});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out == "/dev/fuse character special file a e5\n");
  // Made inside the rootfs, where the symlink leads when the rootfs is "/".
  struct stat st;
  REQUIRE(::lstat((bundle + "/rootfs" + host.path() + "/fuse").c_str(), &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  CHECK(st.st_rdev == makedev(10, 229));
  CHECK(::lstat((host.path() + "/fuse").c_str(), &st) < 0);
}
