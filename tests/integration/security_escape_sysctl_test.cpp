// CVE-2025-52881 class: a sysctl write redirected by a racing mount. In the
// server's mount namespace, after its mounts are made and before vsrv writes
// the spec's linux.sysctl, something mounts host files over the very
// /proc/sys files those keys name, statically and in a loop that keeps
// binding and unbinding one of them. A runtime writing through the server's
// /proc would write into the host files. The host files stay untouched, the
// values reach the kernel (read back with IPC_INFO, not through /proc), and
// the host's own sysctls are unchanged.
#include <catch2/catch.hpp>
#include <string>

#include "harness_escape.hpp"
#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::EscapeLab;
using vsrv::test::key_values;
using vsrv::test::Result;

TEST_CASE("mounts racing in the server's namespace cannot redirect sysctl writes",
          "[security][escape]") {
  const char* host_files[] = {"kernel/shmmax", "kernel/msgmax", "net/ipv4/ip_forward"};
  std::vector<std::string> host_before;
  for (const char* f : host_files)
    host_before.push_back(vsrv::read_file(std::string("/proc/sys/") + f));

  EscapeLab lab;
  std::string rootfs = lab.make_rootfs("sysctl");
  std::vector<std::string> decoys;
  for (const char* name : {"decoy-shmmax", "decoy-forward", "decoy-msgmax"}) {
    decoys.push_back(lab.dir() + "/" + name);
    vsrv::write_file_atomic(decoys.back(), "host file\n", 0644);
  }
  // The createContainer hook runs in the server's mount namespace once its
  // mounts are made, before the root switch and the sysctl writes.
  const std::string p = rootfs + "/proc/sys/";
  const std::string racer =
      "set -e; mount --bind " + decoys[0] + " " + p + "kernel/shmmax; mount --bind " + decoys[1] +
      " " + p + "net/ipv4/ip_forward; { while :; do mount --bind " + decoys[2] + " " + p +
      "kernel/msgmax; umount " + p + "kernel/msgmax; done; } </dev/null >/dev/null 2>&1 &";
  std::string bundle = lab.make_bundle(
      "sysctl",
      "process: {args: [sh, -c, 'probe ipc; cat /proc/sys/kernel/shmmax | sed s/^/seen=/'], "
      "terminal: false}\n"
      "linux:\n"
      "  sysctl: {kernel.shmmax: '123456789', kernel.msgmax: '4321', "
      "net.ipv4.ip_forward: '1'}\n"
      "hooks:\n"
      "  createContainer:\n"
      "    - {path: /bin/sh, args: [sh, -c, " +
          vsrv::test::yaml_quote(racer) + "]}\n");
  for (int i = 0; i < 5; ++i) {
    Result r = lab.vsrv({"run", "-b", bundle, lab.new_id("sysctl")});
    INFO(r.status << "\n" << r.out << r.err);
    REQUIRE(r.status == 0);
    auto kv = key_values(r.out);
    CHECK(kv["shmmax"] == "123456789");
    CHECK(kv["msgmax"] == "4321");
    // The bait was in place: the server's own /proc shows the host file.
    CHECK(kv["seen"] == "host file");
    for (const auto& d : decoys) CHECK(vsrv::read_file(d) == "host file\n");
  }
  for (size_t i = 0; i < 3; ++i)
    CHECK(vsrv::read_file(std::string("/proc/sys/") + host_files[i]) == host_before[i]);
  CHECK(vsrv::test::host_mounts_mentioning(lab.dir()).empty());
}
