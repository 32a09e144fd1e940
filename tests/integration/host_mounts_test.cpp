// Server mounts never reach the host: the host's mount table is the same
// while 20 servers run (overlay roots, /proc, /dev, binds, tmpfs, their own
// disks, a shared root propagation) and after they are gone.
#include <catch2/catch.hpp>
#include <string>

#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::mountinfo;
using vsrv::test::Result;
using vsrv::test::VsrvHarness;

TEST_CASE("the host's mount table does not change while 20 servers run", "[density][mounts]") {
  VsrvHarness h;
  vsrv::make_dirs(h.scratch() + "/shared", 0755);
  const auto before = mountinfo();
  const std::string base =
      "process: {args: [sleep, '1000000'], terminal: false}\n"
      "mounts:\n"
      "  - {destination: /proc, type: proc, source: proc}\n"
      "  - {destination: /dev, type: tmpfs, source: tmpfs, options: [nosuid, mode=755]}\n"
      "  - {destination: /mnt/host, type: bind, source: " +
      h.scratch() +
      "/shared, options: [rbind, ro]}\n"
      "  - {destination: /scratch, type: tmpfs, source: tmpfs}\n";
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    std::string extra = "vsrv: {stopSignal: SIGKILL}\n";
    if (i % 5 == 0) extra = "vsrv: {stopSignal: SIGKILL, disk: 16Mi}\n";
    if (i % 5 == 1) extra += "linux: {rootfsPropagation: shared}\n";
    if (i % 5 == 2) extra += "linux: {rootfsPropagation: rslave}\n";
    std::string id = h.new_id("m");
    h.run_detached(id, base + extra);
    ids.push_back(id);
  }
  // Each server sees its own mounts.
  for (size_t i = 0; i < ids.size(); i += 5) {
    Result r =
        h.vsrv({"exec", ids[i + 1], "--", "sh", "-c", "grep -c ' /scratch ' /proc/self/mountinfo"});
    INFO(r.err);
    CHECK(r.out == "1\n");
  }
  CHECK(mountinfo() == before);
  for (const auto& id : ids) REQUIRE(h.vsrv({"delete", "--force", id}).status == 0);
  CHECK(mountinfo() == before);
  for (const auto& id : ids) CHECK(h.traces(id).empty());
}
