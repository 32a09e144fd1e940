// CVE-2026-41579 class: a rootfs whose /dev is a symlink to a host
// directory. vsrv mounts a tmpfs on /dev and fills it (null, zero, ..., pts,
// shm, mqueue, the fd links); resolved on the host, the symlink would have it
// create device nodes and mounts in the host directory. Whatever the link
// (absolute, relative with many "..", to "/"), nothing may appear in the
// host directory or in the host's mount table, and a server that starts has
// its devices inside its own root.
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

// The host's mounts at /dev and below (mount point field of mountinfo).
std::vector<std::string> host_dev_mounts() {
  std::vector<std::string> out;
  for (const auto& line : vsrv::test::mountinfo()) {
    auto f = vsrv::split(line, ' ');
    if (f.size() > 4 && (f[4] == "/dev" || f[4].rfind("/dev/", 0) == 0)) out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("a rootfs /dev symlinked to a host directory creates nothing there",
          "[security][escape]") {
  const auto dev_before = host_dev_mounts();
  EscapeLab lab;
  std::string hostdev = lab.dir() + "/hostdev";
  vsrv::make_dirs(hostdev, 0755);
  const std::vector<std::string> targets = {hostdev, "../../../../../../../.." + hostdev, "/"};
  int n = 0;
  for (const auto& target : targets) {
    INFO(target);
    std::string name = "devlink" + std::to_string(++n);
    std::string rootfs = lab.make_rootfs(name);
    REQUIRE(::rmdir((rootfs + "/dev").c_str()) == 0);
    REQUIRE(::symlink(target.c_str(), (rootfs + "/dev").c_str()) == 0);
    std::string bundle = lab.make_bundle(
        name,
        "process: {args: [probe, stat, /dev/null, /dev/zero, /dev/pts/ptmx, /dev/shm], "
        "terminal: false}\n");
    Result r = lab.vsrv({"run", "-b", bundle, lab.new_id("devlink")});
    INFO(r.status << "\n" << r.out << r.err);
    if (r.status != 0) {
      CHECK(vsrv::test::one_error_line(r.err));
    } else {
      auto kv = key_values(r.out);
      CHECK(kv["stat:/dev/null"] == "c:1:3");
      CHECK(kv["stat:/dev/zero"] == "c:1:5");
      CHECK(kv["stat:/dev/pts/ptmx"] == "c:5:2");
      CHECK(kv["stat:/dev/shm"] == "d");
    }
    CHECK(vsrv::test::dir_names(hostdev).empty());
    CHECK(vsrv::test::host_mounts_mentioning(lab.dir()).empty());
  }
  // The host's own /dev is as it was: nothing of a server landed on it.
  CHECK(host_dev_mounts() == dev_before);
}
