// CVE-2021-30465 class: a symlink-exchange race on a mount destination.
// Two servers bind the same host directory at /shared. Server A exchanges a
// directory d and a symlink l -> "/" in it as fast as it can, while server B
// is created, again and again, with a tmpfs whose destination runs through
// /shared/d down to the path of a host directory. Resolved on the host at the
// wrong moment, the destination would be that host directory: the mount (and
// the directories made for it) would land outside B's root. Over every
// attempt the host directory stays empty and unmounted, and each attempt
// either fails with one error line or runs with the tmpfs inside B (in its
// mount table after pivot_root, so not in the detached old root).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "harness_escape.hpp"
#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::EscapeLab;
using vsrv::test::Result;

TEST_CASE("a mount destination swapped for a symlink to / never lands on the host",
          "[security][escape]") {
  EscapeLab lab;
  std::string shared = lab.dir() + "/shared";
  std::string target = lab.dir() + "/target";  // what the race aims at
  vsrv::make_dirs(shared + "/d", 0755);
  vsrv::make_dirs(target, 0755);
  REQUIRE(::symlink("/", (shared + "/l").c_str()) == 0);
  vsrv::test::Swapper swapper(lab, shared, "d", "l");

  const std::string dest = "/shared/d" + target + "/mnt";
  std::string bundle = lab.make_bundle(
      "victim",
      "process: {args: [sh, -c, 'grep -c \"target/mnt \" /proc/self/mountinfo; true'], "
      "terminal: false}\n"
      "mounts:\n"
      "  - {destination: /proc, type: proc, source: proc}\n"
      "  - {destination: /dev, type: tmpfs, source: tmpfs}\n"
      "  - {destination: /shared, type: bind, source: " +
          shared +
          ", options: [bind]}\n"
          "  - {destination: " +
          dest + ", type: tmpfs, source: tmpfs}\n");
  int started = 0, refused = 0;
  for (int i = 0; i < 30; ++i) {
    Result r = lab.vsrv({"run", "-b", bundle, lab.new_id("victim")});
    INFO(r.status << "\n" << r.out << r.err);
    if (r.status == 0) {
      ++started;
      CHECK(r.out == "1\n");  // the tmpfs is in B's own mount table, inside its root
    } else {
      ++refused;
      CHECK(vsrv::test::one_error_line(r.err));
    }
    REQUIRE(vsrv::test::dir_names(target).empty());
    REQUIRE(vsrv::test::host_mounts_mentioning(lab.dir()).empty());
  }
  long swaps = swapper.stop();
  INFO("started " << started << ", refused " << refused << ", swaps " << swaps);
  CHECK(swaps > 0);
  CHECK(started + refused == 30);
  // The race was won at least once: the symlink was followed, inside B's root.
  CHECK(::access((lab.dir() + "/victim/rootfs" + target + "/mnt").c_str(), F_OK) == 0);
  CHECK(vsrv::test::dir_names(target).empty());
}
