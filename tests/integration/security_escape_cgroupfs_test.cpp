// CVE-2023-25809 class: a writable /sys/fs/cgroup. A server given a cgroup
// mount at /sys/fs/cgroup (the spec asks for it, read-only by default, or
// with "ro"), also in a server with its own user namespace, must get a
// read-only mount: creating a cgroup, moving a process, raising a limit all
// fail with EROFS, and the server's cgroup on the host gains no child.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "harness_escape.hpp"
#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::EscapeLab;
using vsrv::test::key_values;
using vsrv::test::Result;

namespace {

const char* kScript =
    "probe mkdir /sys/fs/cgroup/vsrv-escape | sed s/^/cg-/; "
    "probe write /sys/fs/cgroup/cgroup.procs 1 | sed s/^/procs-/; "
    "probe write /sys/fs/cgroup/cgroup.subtree_control +pids | sed s/^/subtree-/; "
    "probe write /sys/fs/cgroup/pids.max max | sed s/^/pids-/; "
    "grep -c ' /sys/fs/cgroup ' /proc/self/mountinfo | sed s/^/mounted=/; "
    "grep ' /sys/fs/cgroup ' /proc/self/mountinfo | cut -d' ' -f6 | sed s/^/options=/; "
    "sleep 1000";

std::string spec(const std::string& options, const std::string& extra) {
  return "process: {args: [sh, -c, " + vsrv::test::yaml_quote(kScript) +
         "], terminal: false}\n"
         "mounts:\n"
         "  - {destination: /proc, type: proc, source: proc}\n"
         "  - {destination: /dev, type: tmpfs, source: tmpfs}\n"
         "  - {destination: /sys, type: sysfs, source: sysfs, options: [nosuid, noexec, nodev, "
         "ro]}\n"
         "  - {destination: /sys/fs/cgroup, type: cgroup, source: cgroup" +
         options + "}\n" + extra;
}

// Directories below dir (the server's cgroup on the host).
std::vector<std::string> subdirs(const std::string& dir) {
  Result r = vsrv::test::run({"/usr/bin/find", dir, "-mindepth", "1", "-type", "d"});
  return vsrv::test::lines_of(r.out);
}

}  // namespace

TEST_CASE("a cgroup mount in a server is read-only", "[security][escape]") {
  EscapeLab lab;
  // The user-namespaced server's root (host uid 200000) walks to its rootfs.
  REQUIRE(::chmod(lab.dir().c_str(), 0755) == 0);
  const std::string userns =
      "linux:\n"
      "  namespaces: [{type: pid}, {type: network}, {type: ipc}, {type: uts}, {type: mount},\n"
      "               {type: cgroup}, {type: user}]\n"
      "  uidMappings: [{containerID: 0, hostID: 200000, size: 65536}]\n"
      "  gidMappings: [{containerID: 0, hostID: 200000, size: 65536}]\n";
  struct Case {
    std::string name, options, extra;
  };
  for (const Case& c : {Case{"default", "", ""}, Case{"ro", ", options: [ro, nosuid]", ""},
                        Case{"userns", "", userns}}) {
    INFO(c.name);
    std::string id = lab.new_id("cg");
    Result run = lab.vsrv({"run", "-d", "-b", lab.make_bundle("cg", spec(c.options, c.extra)), id});
    INFO(run.err);
    REQUIRE(run.status == 0);
    std::string out;
    for (int i = 0; i < 250 && out.find("options=") == std::string::npos; ++i) {
      vsrv::test::sleep_ms(20);
      out = lab.vsrv({"logs", id}).out;
    }
    INFO(out);
    auto kv = key_values(out);
    CHECK(kv["mounted"] == "1");
    CHECK(kv["options"].rfind("ro,", 0) == 0);
    CHECK(kv["cg-mkdir"] == "EROFS");
    // Root of a user namespace does not own the files: refused before the
    // read-only check (EACCES); the mount is read-only all the same.
    for (const char* k : {"procs-write", "subtree-write"}) {
      INFO(k);
      CHECK((kv[k] == "EROFS" || (c.name == "userns" && kv[k] == "EACCES")));
    }
    // No pids controller on a hybrid host's cgroup2: then there is no file.
    CHECK((kv["pids-write"] == "EROFS" || kv["pids-write"] == "ENOENT"));
    // On the host: the server's cgroups have no child.
    Result state = lab.vsrv({"state", id});
    REQUIRE(state.status == 0);
    std::string st = vsrv::read_file(lab.dir() + "/run/" + id + "/state.json");
    for (const auto& dir : nlohmann::json::parse(st).at("cgroupDirs")) {
      INFO(dir.get<std::string>());
      CHECK(subdirs(dir.get<std::string>()).empty());
    }
    CHECK(lab.vsrv({"delete", "--force", id}).status == 0);
  }
}
