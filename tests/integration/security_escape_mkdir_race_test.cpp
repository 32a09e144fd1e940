// CVE-2024-45310 class: creating a mount destination's missing parents while
// one of them is swapped for a symlink to a host directory. Server A
// exchanges a directory p and a symlink q -> <host dir> in a host directory
// both servers bind at /shared; server B is created, again and again, with a
// tmpfs on /shared/p/a/b/c/d and a file bound on /shared/p/f/g/file, so vsrv
// has to create directories and a file below p. Followed on the host, the
// symlink would have it create them in the host directory. It stays empty;
// what the symlink leads to is created inside B's root instead.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "harness_escape.hpp"
#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::EscapeLab;
using vsrv::test::Result;

TEST_CASE("directories made for a mount never appear in a host directory swapped in",
          "[security][escape]") {
  EscapeLab lab;
  std::string shared = lab.dir() + "/shared";
  std::string target = lab.dir() + "/target";
  vsrv::make_dirs(shared + "/p", 0755);
  vsrv::make_dirs(target, 0755);
  vsrv::write_file_atomic(lab.dir() + "/file", "bound\n", 0644);
  REQUIRE(::symlink(target.c_str(), (shared + "/q").c_str()) == 0);
  vsrv::test::Swapper swapper(lab, shared, "p", "q");

  std::string bundle =
      lab.make_bundle("victim",
                      "process: {args: [sh, -c, 'grep -c \"/a/b/c/d \" /proc/self/mountinfo; cat "
                      "/shared/p/f/g/file; true'], terminal: false}\n"
                      "mounts:\n"
                      "  - {destination: /proc, type: proc, source: proc}\n"
                      "  - {destination: /dev, type: tmpfs, source: tmpfs}\n"
                      "  - {destination: /shared, type: bind, source: " +
                          shared +
                          ", options: [bind]}\n"
                          "  - {destination: /shared/p/a/b/c/d, type: tmpfs, source: tmpfs}\n"
                          "  - {destination: /shared/p/f/g/file, type: bind, source: " +
                          lab.dir() + "/file, options: [bind, ro]}\n");
  int started = 0, refused = 0;
  for (int i = 0; i < 30; ++i) {
    Result r = lab.vsrv({"run", "-b", bundle, lab.new_id("victim")});
    INFO(r.status << "\n" << r.out << r.err);
    if (r.status == 0) {
      ++started;
    } else {
      ++refused;
      CHECK(vsrv::test::one_error_line(r.err));
    }
    REQUIRE(vsrv::test::dir_names(target).empty());
    REQUIRE(vsrv::test::host_mounts_mentioning(lab.dir()).empty());
    // The next run has to create them again (whichever name the directory has now).
    vsrv::test::run(
        {"/bin/rm", "-rf", shared + "/p/a", shared + "/p/f", shared + "/q/a", shared + "/q/f"});
  }
  long swaps = swapper.stop();
  INFO("started " << started << ", refused " << refused << ", swaps " << swaps);
  CHECK(swaps > 0);
  CHECK(started + refused == 30);
  CHECK(vsrv::test::dir_names(target).empty());
  // The symlink was followed at least once: inside B's root.
  CHECK(vsrv::test::dir_names(lab.dir() + "/victim/rootfs" + target).size() > 0);
}
