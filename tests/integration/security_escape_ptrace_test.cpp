// CVE-2016-9962 class: stealing from a process while it joins the server.
// Until its execve, a process `vsrv exec` starts inside a server still holds
// the host's things (the vsrv binary, its sync socket, its environment); a
// process of the server that ptraces it or reads its /proc files would get
// them. The server's init watches every other process and tries: ptrace,
// /proc/PID/environ, mem, fd/ (list and read links), exe. Nothing may
// succeed while the process is vsrv (it is non-dumpable and has more
// capabilities than the server), and what it runs after execve holds only
// fds 0-2.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "harness_escape.hpp"
#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::EscapeLab;
using vsrv::test::key_values;
using vsrv::test::lines_of;
using vsrv::test::Result;

namespace {

bool wait_for(const std::string& path, int timeout_ms) {
  for (long long end = vsrv::test::now_ms() + timeout_ms; vsrv::test::now_ms() < end;) {
    if (::access(path.c_str(), F_OK) == 0) return true;
    vsrv::test::sleep_ms(20);
  }
  return ::access(path.c_str(), F_OK) == 0;
}

std::vector<std::string> fds_of(const std::string& out) {
  std::vector<std::string> fds;
  for (const auto& line : lines_of(out))
    if (line.rfind("fd=", 0) == 0) fds.push_back(line.substr(3));
  return fds;
}

}  // namespace

TEST_CASE("a server cannot ptrace or read a process joining it", "[security][escape]") {
  EscapeLab lab;
  auto [dev, ino] = vsrv::test::file_identity(lab.binary());
  std::string out = lab.dir() + "/out";
  vsrv::make_dirs(out, 0777);
  std::string watch = "process: {args: [probe, watch, /out/report, /out/stop, '" +
                      std::to_string(dev) + "', '" + std::to_string(ino) +
                      "'], terminal: false}\n"
                      "mounts:\n"
                      "  - {destination: /proc, type: proc, source: proc}\n"
                      "  - {destination: /dev, type: tmpfs, source: tmpfs, options: [mode=755]}\n"
                      "  - {destination: /out, type: bind, source: " +
                      out + ", options: [bind]}\n";
  std::string id = lab.new_id("watched");
  Result run = lab.vsrv({"run", "-d", "-b", lab.make_bundle("watched", watch), id});
  INFO(run.err);
  REQUIRE(run.status == 0);

  // Joins, with a secret in the environment the joining process carries.
  for (int i = 0; i < 40; ++i) {
    Result r =
        lab.vsrv({"exec", id, "-e", "SECRET=joining-" + std::to_string(i), "--", "probe", "self"});
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    CHECK(fds_of(r.out) == std::vector<std::string>{"0", "1", "2"});
  }
  // Other servers joining the first one's pid namespace: their inits are
  // visible to the watcher while they set up.
  Result state = lab.vsrv({"state", id});
  REQUIRE(state.status == 0);
  int init = nlohmann::json::parse(state.out).at("pid").get<int>();
  std::string joiner =
      "process: {args: [probe, self], terminal: false}\n"
      "linux:\n  namespaces:\n"
      "    - {type: pid, path: /proc/" +
      std::to_string(init) +
      "/ns/pid}\n"
      "    - {type: mount}\n    - {type: network}\n    - {type: ipc}\n"
      "    - {type: uts}\n";
  std::string bundle = lab.make_bundle("joiner", joiner);
  for (int i = 0; i < 10; ++i) {
    Result r = lab.vsrv({"run", "-b", bundle, lab.new_id("joiner")});
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    CHECK(fds_of(r.out) == std::vector<std::string>{"0", "1", "2"});
  }

  vsrv::write_file_atomic(out + "/stop", "");
  REQUIRE(wait_for(out + "/report", 10000));
  std::string text = vsrv::read_file(out + "/report");
  INFO(text);
  auto report = key_values(text);
  CHECK(std::stol(report["scans"]) > 0);
  // The watcher did catch processes in the middle of joining (non-dumpable)...
  CHECK(std::stol(report["joining-seen"]) > 0);
  // ... and got nothing out of them. (Listing the fd numbers of a root-owned
  // process is allowed to root; what they are, or opening them, is not.)
  for (const char* k : {"reached-vsrv", "exe-write-opened", "ptrace-ok", "environ-read", "mem-read",
                        "fd-link-read", "fd-opened", "kept-write-opened"}) {
    INFO(k);
    CHECK(report[k] == "0");
  }
}
