// CVE-2019-16884 / CVE-2019-19921 class: a /proc that is not the kernel's.
// A rootfs whose /proc (or /sys) is a symlink, to a host directory or into
// the rootfs, and spec mounts over /proc (directly, through "..", or through
// a symlink in the rootfs) would let the server replace procfs, under which
// masks and procfs writes the runtime makes would land on the server's own
// files. Each must fail with one clear error line; nothing may be mounted on
// the host, and the host directory offered as a fake /proc stays as it was.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "harness_escape.hpp"
#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::EscapeLab;
using vsrv::test::Result;

namespace {

const char* kProcess = "process: {args: [probe, self], terminal: false}\n";

// A fake proc a server could control: a directory with files named like proc's.
std::string make_fake_proc(const EscapeLab& lab) {
  std::string fake = lab.dir() + "/fakeproc";
  vsrv::make_dirs(fake + "/self/attr", 0755);
  vsrv::write_file_atomic(fake + "/kcore", "fake kcore\n", 0644);
  vsrv::write_file_atomic(fake + "/self/attr/exec", "fake\n", 0644);
  return fake;
}

std::vector<std::string> tree_of(const std::string& dir) {
  Result r = vsrv::test::run({"/usr/bin/find", dir, "-printf", "%P %s %y\n"});
  return vsrv::test::lines_of(r.out);
}

// Creating the server from bundle fails with one line naming `mentions`, and
// leaves no mount and no server behind.
void check_refused(EscapeLab& lab, const std::string& bundle, const std::string& mentions) {
  std::string id = lab.new_id("proc");
  Result r = lab.vsrv({"create", "-b", bundle, id});
  INFO(bundle << ": " << r.status << " " << r.out << r.err);
  CHECK(r.status == 1);
  CHECK(vsrv::test::one_error_line(r.err));
  CHECK(r.err.find(mentions) != std::string::npos);
  CHECK(lab.vsrv({"state", id}).status == 2);
  CHECK(vsrv::test::host_mounts_mentioning(lab.dir()).empty());
}

}  // namespace

TEST_CASE("a rootfs whose /proc or /sys is a symlink is refused", "[security][escape]") {
  EscapeLab lab;
  std::string fake = make_fake_proc(lab);
  auto fake_before = tree_of(fake);
  struct Case {
    std::string name, link, target;
  };
  for (const Case& c : {Case{"proc-host", "proc", fake}, Case{"proc-inside", "proc", "/fake"},
                        Case{"proc-relative", "proc", "fake"}, Case{"sys-host", "sys", fake}}) {
    INFO(c.name);
    std::string rootfs = lab.make_rootfs(c.name);
    vsrv::make_dirs(rootfs + "/fake", 0755);
    REQUIRE(::rmdir((rootfs + "/" + c.link).c_str()) == 0);
    REQUIRE(::symlink(c.target.c_str(), (rootfs + "/" + c.link).c_str()) == 0);
    check_refused(lab, lab.make_bundle(c.name, kProcess), "/" + c.link);
    CHECK(vsrv::test::dir_names(rootfs + "/fake").empty());
  }
  CHECK(tree_of(fake) == fake_before);
}

TEST_CASE("spec mounts over /proc are refused", "[security][escape]") {
  EscapeLab lab;
  std::string fake = make_fake_proc(lab);
  auto fake_before = tree_of(fake);
  std::string proc =
      "mounts:\n  - {destination: /proc, type: proc, source: proc}\n"
      "  - {destination: /dev, type: tmpfs, source: tmpfs, options: [mode=755]}\n";
  std::string bind = ", type: bind, source: " + fake + ", options: [rbind]}\n";
  const std::vector<std::string> mounts = {
      "  - {destination: /proc" + bind,
      "  - {destination: /proc, type: tmpfs, source: tmpfs}\n",
      "  - {destination: /tmp/../proc" + bind,
      "  - {destination: /proc/self/attr" + bind,
      "  - {destination: /proc/sys, type: tmpfs, source: tmpfs}\n",
      // Through a symlink of the rootfs that leads to /proc.
      "  - {destination: /myproc" + bind,
      "  - {destination: /myproc/sys" + bind,
      "  - {destination: /myproc, type: tmpfs, source: tmpfs}\n",
  };
  std::string rootfs = lab.make_rootfs("specproc");
  REQUIRE(::symlink("/proc", (rootfs + "/myproc").c_str()) == 0);
  for (const auto& m : mounts) {
    INFO(m);
    check_refused(lab, lab.make_bundle("specproc", kProcess + proc + m), "/proc");
  }
  CHECK(tree_of(fake) == fake_before);
}
