// CVE-2022-29162 class: non-empty inheritable capabilities. With
// capabilities in its inheritable set, a process that executes a file
// carrying inheritable file capabilities gains them in its permitted set,
// even as an unprivileged user. The rootfs holds such a file (the probe with
// CAP_NET_RAW, CAP_CHOWN and CAP_SYS_ADMIN inheritable, effective bit set);
// run by the default spec's init, by an exec'd root process and by uid 1000,
// with and without no_new_privs, it must end with an empty inheritable set
// and, as uid 1000, nothing permitted or effective.
#include <linux/capability.h>
#include <sys/xattr.h>

#include <catch2/catch.hpp>
#include <string>

#include "harness_escape.hpp"
#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::EscapeLab;
using vsrv::test::key_values;
using vsrv::test::Result;

namespace {

constexpr const char* kNone = "0000000000000000";

// Copies the probe to rootfs/bin/capprobe with inheritable file capabilities.
void make_capprobe(const std::string& rootfs) {
  std::string path = rootfs + "/bin/capprobe";
  REQUIRE(vsrv::test::run({"/bin/cp", rootfs + "/bin/probe", path}).status == 0);
  struct vfs_cap_data caps = {};
  caps.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
  caps.data[0].inheritable = (1u << CAP_NET_RAW) | (1u << CAP_CHOWN) | (1u << CAP_SYS_ADMIN);
  REQUIRE(::setxattr(path.c_str(), "security.capability", &caps, sizeof caps, 0) == 0);
}

void check_no_inherited(const Result& r, bool unprivileged) {
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  auto kv = key_values(r.out);
  CHECK(kv["capinh"] == kNone);
  CHECK(kv["capamb"] == kNone);
  if (unprivileged) {
    CHECK(kv["uid"] == "1000");
    CHECK(kv["capprm"] == kNone);
    CHECK(kv["capeff"] == kNone);
  }
}

}  // namespace

TEST_CASE("a file with inheritable capabilities gains nothing in a server", "[security][escape]") {
  EscapeLab lab;
  std::string rootfs = lab.make_rootfs("caps");
  make_capprobe(rootfs);

  // The default spec's init, as root.
  check_no_inherited(
      lab.vsrv({"run", "-b",
                lab.make_bundle("caps", "process: {args: [capprobe, self], terminal: false}\n"),
                lab.new_id("caps")}),
      false);
  // An unprivileged init, without no_new_privs (file capabilities honoured).
  for (const char* nnp : {"false", "true"}) {
    INFO("noNewPrivileges " << nnp);
    check_no_inherited(
        lab.vsrv({"run", "-b",
                  lab.make_bundle("caps", std::string("process: {args: [capprobe, self], user: "
                                                      "{uid: 1000, gid: 1000}, noNewPrivileges: ") +
                                              nnp + ", terminal: false}\n"),
                  lab.new_id("caps")}),
        true);
  }
  // exec'd processes, as root and as uid 1000.
  std::string id = lab.new_id("capsx");
  Result run = lab.vsrv({"run", "-d", "-b",
                         lab.make_bundle("caps",
                                         "process: {args: [sleep, '1000'], noNewPrivileges: false, "
                                         "terminal: false}\n"),
                         id});
  INFO(run.err);
  REQUIRE(run.status == 0);
  check_no_inherited(lab.vsrv({"exec", id, "--", "capprobe", "self"}), false);
  check_no_inherited(lab.vsrv({"exec", "-u", "1000:1000", id, "--", "capprobe", "self"}), true);
}
