// The device cgroup of a server, for real through the vsrv binary: a default
// server may mknod any node but open only the standard devices; spec rules,
// linux.devices nodes and `update -r` change that; rules the device cgroup
// cannot express are one-line errors. On the v1/hybrid host the v1 devices
// controller enforces it (devices.list is checked too); in tests/vm, on a
// pure cgroup v2 kernel, one BPF device program attached to the server's
// cgroup does.
#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <set>

#include "harness_resources.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"

using namespace vsrv::test;

namespace {

const std::string kDenied = "Operation not permitted";

// Opens each path read-write inside the server (a `sh` redirection): "ok" or
// the shell's error message, by path. Device nodes are made first.
std::map<std::string, std::string> opens(const VsrvHarness& h, const std::string& id,
                                         const std::vector<std::string>& paths) {
  std::string script =
      "mknod /tmp/hwrng c 10 183 2>/dev/null; mknod /tmp/loop0 b 7 0 2>/dev/null; "
      "for f in";
  for (const auto& p : paths) script += " " + p;
  script +=
      "; do if (exec 3<>$f) 2>/tmp/err; then echo \"$f=ok\"; "
      "else echo \"$f=$(cat /tmp/err)\"; fi; done";
  Result r = h.vsrv({"exec", id, "--", "sh", "-c", script});
  INFO(r.err);
  REQUIRE(r.status == 0);
  std::map<std::string, std::string> out;
  for (const auto& l : lines_of(r.out)) {
    size_t eq = l.find('=');
    if (eq != std::string::npos) out[l.substr(0, eq)] = l.substr(eq + 1);
  }
  REQUIRE(out.size() == paths.size());
  return out;
}

bool denied(const std::string& result) {
  return result.find(kDenied) != std::string::npos;
}

// What the host gets opening a device read-write: "ok" or the strerror. A
// server allowed the device gets the same (e.g. ENODEV where there is no
// hardware RNG behind 10:183, as in the VM).
std::string host_open(const std::string& path) {
  vsrv::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  return fd ? "ok" : std::strerror(errno);
}

void check_allowed(const std::string& result, const std::string& host_path) {
  CHECK_FALSE(denied(result));
  if (host_open(host_path) == "ok") CHECK(result == "ok");
}

// Ids of the BPF device programs attached to a cgroup2 directory itself.
std::vector<uint32_t> device_programs(const std::string& dir) {
  vsrv::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(fd);
  std::vector<uint32_t> ids(16);
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.query.target_fd = static_cast<uint32_t>(fd.get());
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = reinterpret_cast<uintptr_t>(ids.data());
  attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
  REQUIRE(::syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof attr) == 0);
  ids.resize(attr.query.prog_cnt);
  return ids;
}

// The lines of the server's devices.list (v1), as a set.
std::set<std::string> devices_list(const VsrvHarness& h, const std::string& id) {
  auto lines = lines_of(vsrv::read_file(cgroup_file(h, id, "devices", "devices.list", "")));
  return {lines.begin(), lines.end()};
}

// How the server's device rules are held: v1 devices.list, or one program.
// v1: the defaults' lines, plus `extra`, minus `gone`.
void check_enforced(const VsrvHarness& h, const std::string& id,
                    const std::set<std::string>& extra = {},
                    const std::set<std::string>& gone = {}) {
  if (pure_cgroup_v2()) {
    std::string dir = h.state_file(id).at("cgroupDirs")[0];
    CHECK(device_programs(dir).size() == 1);
    return;
  }
  std::set<std::string> want = {"c *:* m",   "b *:* m",   "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",
                                "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm"};
  for (const auto& l : gone) want.erase(l);
  want.insert(extra.begin(), extra.end());
  CHECK(devices_list(h, id) == want);
}

const std::vector<std::string> kProbe = {"/tmp/hwrng", "/tmp/loop0", "/dev/null", "/dev/full"};

}  // namespace

TEST_CASE("a default server may mknod any device but open only the standard ones") {
  VsrvHarness h;
  std::string id = h.new_id("dev");
  h.run_detached(id, sh_spec("exec sleep 1000"));
  check_enforced(h, id);
  auto r = opens(h, id, kProbe);
  CHECK(denied(r["/tmp/hwrng"]));
  CHECK(denied(r["/tmp/loop0"]));
  CHECK(r["/dev/null"] == "ok");
  CHECK(r["/dev/full"] == "ok");
  // mknod itself is allowed: the nodes were made.
  Result ls = h.vsrv({"exec", id, "--", "ls", "-l", "/tmp/hwrng", "/tmp/loop0"});
  CHECK(ls.status == 0);
  // The init's own terminal-less stdio and /dev/pts still work.
  Result pty = h.vsrv({"exec", id, "--", "sh", "-c", "exec 3<>/dev/ptmx && echo ptmx=ok"});
  CHECK(pty.out == "ptmx=ok\n");
}

TEST_CASE("spec device rules and linux.devices nodes are allowed, last rule wins") {
  VsrvHarness h;
  std::string id = h.new_id("devr");
  h.run_detached(id, sh_spec("exec sleep 1000",
                             "linux:\n"
                             "  devices: [{path: /dev/rng, type: c, major: 10, minor: 183}]\n"
                             "  resources:\n"
                             "    devices:\n"
                             "      - {allow: true, type: b, major: 7, minor: 0, access: rw}\n"
                             "      - {allow: false, type: c, major: 1, minor: 7, access: rw}\n"));
  // 1:7 lost rw and kept m.
  check_enforced(h, id, {"c 10:183 rwm", "b 7:0 rw", "c 1:7 m"}, {"c 1:7 rwm"});
  auto r = opens(h, id, {"/dev/rng", "/tmp/loop0", "/tmp/hwrng", "/dev/full", "/dev/null"});
  check_allowed(r["/dev/rng"], "/dev/hwrng");
  check_allowed(r["/tmp/hwrng"], "/dev/hwrng");  // the same device
  check_allowed(r["/tmp/loop0"], "/dev/loop0");
  CHECK(denied(r["/dev/full"]));
  CHECK(r["/dev/null"] == "ok");
}

TEST_CASE("an engine's deny-all first keeps the standard devices") {
  // What runc spec, podman and containerd write: deny all, then their allows.
  VsrvHarness h;
  std::string id = h.new_id("deva");
  h.run_detached(id,
                 sh_spec("exec sleep 1000",
                         "linux:\n"
                         "  resources:\n"
                         "    devices:\n"
                         "      - {allow: false, access: rwm}\n"
                         "      - {allow: true, type: c, major: 10, minor: 183, access: rw}\n"));
  auto r = opens(h, id, kProbe);
  check_allowed(r["/tmp/hwrng"], "/dev/hwrng");
  CHECK(denied(r["/tmp/loop0"]));
  CHECK(r["/dev/null"] == "ok");
}

TEST_CASE("update -r changes the device rules live") {
  VsrvHarness h;
  std::string id = h.new_id("devu");
  h.run_detached(id, sh_spec("exec sleep 1000"));
  REQUIRE(denied(opens(h, id, kProbe)["/tmp/hwrng"]));

  Result u = h.vsrv({"update", id, "-r", "-"},
                    R"({"devices": [{"allow": true, "type": "c", "major": 10, "minor": 183,
                                     "access": "rw"}]})");
  INFO(u.err);
  REQUIRE(u.status == 0);
  auto r = opens(h, id, kProbe);
  check_allowed(r["/tmp/hwrng"], "/dev/hwrng");
  CHECK(denied(r["/tmp/loop0"]));
  CHECK(r["/dev/null"] == "ok");
  check_enforced(h, id, {"c 10:183 rw"});

  // An update without devices leaves them as they are.
  REQUIRE(h.vsrv({"update", id, "--pids-limit", "100"}).status == 0);
  CHECK_FALSE(denied(opens(h, id, kProbe)["/tmp/hwrng"]));

  // The update's rules replace the previous ones (YAML works too).
  u = h.vsrv({"update", id, "-r", "-"},
             "devices:\n  - {allow: false, access: rwm}\n"
             "  - {allow: true, type: b, major: 7, minor: '*', access: rw}\n");
  INFO(u.err);
  REQUIRE(u.status == 0);
  r = opens(h, id, kProbe);
  CHECK(denied(r["/tmp/hwrng"]));
  check_allowed(r["/tmp/loop0"], "/dev/loop0");
  CHECK(r["/dev/null"] == "ok");
  check_enforced(h, id, {"b 7:* rw"});

  // A rule the device cgroup cannot express: one line, nothing changed.
  u = h.vsrv({"update", id, "-r", "-"},
             R"({"devices": [{"allow": false, "type": "c", "major": 1, "minor": 3,
                              "access": "m"}]})");
  CHECK(u.status == 1);
  CHECK(one_error_line(u.err));
  CHECK(u.err.find("stdin:1: linux.resources.devices[0]: cannot deny \"c 1:3 m\" while "
                   "\"c *:* m\" allows it") != std::string::npos);
  check_allowed(opens(h, id, kProbe)["/tmp/loop0"], "/dev/loop0");

  // An empty list: the defaults alone.
  REQUIRE(h.vsrv({"update", id, "-r", "-"}, R"({"devices": []})").status == 0);
  r = opens(h, id, kProbe);
  CHECK(denied(r["/tmp/hwrng"]));
  CHECK(denied(r["/tmp/loop0"]));
  check_enforced(h, id);
}

TEST_CASE("device rules the cgroup cannot express are refused at create") {
  VsrvHarness h;
  std::string id = h.new_id("devbad");
  Result r = h.vsrv({"run", "-d", "--template", kTemplate, "-f",
                     h.write_spec(sh_spec("exec sleep 1000",
                                          "linux:\n  resources:\n    devices:\n"
                                          "      - {allow: false, type: c, major: 10, minor: 183, "
                                          "access: m}\n")),
                     id});
  CHECK(r.status == 1);
  CHECK(one_error_line(r.err));
  CHECK(r.err.find(":5: linux.resources.devices[0]: cannot deny \"c 10:183 m\" while "
                   "\"c *:* m\" allows it") != std::string::npos);
  CHECK(h.traces(id).empty());
}
