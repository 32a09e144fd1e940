// Pure parts of the rootfs layer: defaults, mount options, path cleaning.
#include <sys/mount.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "vsrv/base/error.hpp"
#include "vsrv/rootfs/mount_options.hpp"
#include "vsrv/rootfs/mount_tree.hpp"
#include "vsrv/rootfs/safe_path.hpp"

using namespace vsrv::rootfs;

namespace {
bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}
}  // namespace

TEST_CASE("default mounts are the OCI set, /dev before its submounts") {
  auto mounts = default_mounts();
  std::vector<std::string> dests;
  for (const auto& m : mounts) dests.push_back(m.destination);
  REQUIRE(dests ==
          std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"});
  CHECK(mounts[0].type == "proc");
  CHECK(mounts[1].type == "tmpfs");
  CHECK(contains(mounts[1].options, "mode=755"));
  CHECK(mounts[2].type == "devpts");
  CHECK(contains(mounts[2].options, "ptmxmode=0666"));
  CHECK(contains(mounts[2].options, "gid=5"));
  CHECK(mounts[3].source == "shm");
  CHECK(contains(mounts[3].options, "mode=1777"));
  CHECK(mounts[4].type == "mqueue");
  CHECK(mounts[5].type == "sysfs");
  CHECK(contains(mounts[5].options, "ro"));
  // Every default option must be one build() understands.
  for (const auto& m : mounts) {
    for (const auto& o : m.options) CHECK(mount_option_known(o));
  }
}

TEST_CASE("default masked and read-only paths") {
  auto masked = default_masked_paths();
  for (const char* p : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug",
                        "/proc/acpi", "/sys/firmware", "/proc/scsi"}) {
    CHECK(contains(masked, p));
  }
  CHECK_FALSE(contains(masked, "/proc/sys"));
  auto ro = default_readonly_paths();
  CHECK(ro == std::vector<std::string>{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                       "/proc/sysrq-trigger"});
}

TEST_CASE("mount_option_known") {
  for (const char* o :
       {"ro",          "rw",         "suid",        "nosuid",        "dev",         "nodev",
        "exec",        "noexec",     "sync",        "async",         "dirsync",     "remount",
        "mand",        "nomand",     "atime",       "noatime",       "diratime",    "nodiratime",
        "relatime",    "norelatime", "strictatime", "nostrictatime", "lazytime",    "nolazytime",
        "bind",        "rbind",      "private",     "rprivate",      "shared",      "rshared",
        "slave",       "rslave",     "unbindable",  "runbindable",   "tmpcopyup",   "rro",
        "newinstance", "mode=755",   "size=65536k", "gid=5",         "x-anything=1"}) {
    INFO(o);
    CHECK(mount_option_known(o));
  }
  for (const char* o : {"", "bogus", "=5", "idmap", "RO", "rbind "}) {
    INFO(o);
    CHECK_FALSE(mount_option_known(o));
  }
}

TEST_CASE("parse_mount_options translates flags, data and propagation") {
  auto o = parse_mount_options(
      {"nosuid", "ro", "noatime", "rbind", "rslave", "mode=0620", "newinstance", "sync"});
  CHECK(o.bind);
  CHECK(o.recursive);
  CHECK(o.attr_set == (MOUNT_ATTR_NOSUID | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME));
  CHECK((o.attr_clr & MOUNT_ATTR__ATIME) == MOUNT_ATTR__ATIME);
  CHECK(o.propagation == MS_SLAVE);
  CHECK(o.propagation_recursive);
  REQUIRE(o.params.size() == 3);
  CHECK(o.params[0].key == "mode");
  CHECK(o.params[0].value == "0620");
  CHECK_FALSE(o.params[0].flag);
  CHECK(o.params[1].key == "newinstance");
  CHECK(o.params[1].flag);
  CHECK(o.params[2].key == "sync");

  // Later words win: "ro" then "rw" leaves the mount writable and clears ro.
  auto rw = parse_mount_options({"ro", "rw", "bind"});
  CHECK_FALSE(rw.recursive);
  CHECK((rw.attr_set & MOUNT_ATTR_RDONLY) == 0);
  CHECK((rw.attr_clr & MOUNT_ATTR_RDONLY) != 0);

  auto rro = parse_mount_options({"rro", "tmpcopyup"});
  CHECK(rro.rec_attr_set == MOUNT_ATTR_RDONLY);
  CHECK(rro.tmpcopyup);

  try {
    parse_mount_options({"nosuid", "frobnicate"});
    FAIL("no error");
  } catch (const vsrv::Error& e) {
    CHECK(std::string(e.what()) == "unknown mount option \"frobnicate\"");
    CHECK(e.kind() == vsrv::ErrorKind::kUsage);
  }
}

TEST_CASE("clean_path never climbs above the root") {
  CHECK(clean_path("/") == "");
  CHECK(clean_path("/proc") == "proc");
  CHECK(clean_path("//dev///pts/") == "dev/pts");
  CHECK(clean_path("/a/./b/../c") == "a/c");
  CHECK(clean_path("/../../etc/passwd") == "etc/passwd");
  CHECK(clean_path("relative/x") == "relative/x");
}
