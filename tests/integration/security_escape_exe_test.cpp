// CVE-2019-5736 class: overwriting the runtime's binary through
// /proc/<pid>/exe of a process joining the server. The server's init watches
// every other process and tries to open its exe for writing, keeping an
// O_PATH handle to reopen later, when nothing runs the binary any more,
// while the host runs `vsrv exec` into it: plain commands, a
// "#!/proc/self/exe" script and /proc/self/exe itself. The server can run
// the host's vsrv if it gets the chance (the host's libraries are bound in).
// The server is created as an engine would (--pid-file: no monitor), so no
// vsrv process keeps the binary busy once the commands return. The copy of
// vsrv this lab runs must be unchanged, every open must have failed, and
// vsrv must never have run inside.
#include <sys/stat.h>
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

// The host's libraries, so the vsrv binary would run if it were executed.
const char* kHostLibraries =
    "mounts:\n"
    "  - {destination: /proc, type: proc, source: proc, options: [nosuid, noexec, nodev]}\n"
    "  - {destination: /dev, type: tmpfs, source: tmpfs, options: [nosuid, mode=755]}\n"
    "  - {destination: /sys, type: sysfs, source: sysfs, options: [nosuid, noexec, nodev, ro]}\n"
    "  - {destination: /lib, type: bind, source: /lib, options: [rbind, ro]}\n"
    "  - {destination: /lib64, type: bind, source: /lib64, options: [rbind, ro]}\n"
    "  - {destination: /usr/lib, type: bind, source: /usr/lib, options: [rbind, ro]}\n";

bool wait_for(const std::string& path, int timeout_ms) {
  for (long long end = vsrv::test::now_ms() + timeout_ms; vsrv::test::now_ms() < end;) {
    if (::access(path.c_str(), F_OK) == 0) return true;
    vsrv::test::sleep_ms(20);
  }
  return ::access(path.c_str(), F_OK) == 0;
}

}  // namespace

TEST_CASE("a server cannot overwrite the vsrv binary through a joining process's exe",
          "[security][escape]") {
  EscapeLab lab;
  const std::string before = vsrv::read_file(lab.binary());
  auto [dev, ino] = vsrv::test::file_identity(lab.binary());
  std::string out = lab.dir() + "/out";
  vsrv::make_dirs(out, 0777);
  std::string rootfs = lab.make_rootfs("exe");
  vsrv::write_file_atomic(rootfs + "/evil", "#!/proc/self/exe\n", 0755);
  std::string bundle = lab.make_bundle(
      "exe", "process: {args: [probe, watch, /out/report, /out/stop, '" + std::to_string(dev) +
                 "', '" + std::to_string(ino) + "'], terminal: false}\n" + kHostLibraries +
                 "  - {destination: /out, type: bind, source: " + out + ", options: [bind]}\n");

  std::string id = lab.new_id("exe");
  Result create =
      lab.vsrv_redirected({"create", "--pid-file", lab.dir() + "/pid", "-b", bundle, id},
                          "</dev/null >" + lab.dir() + "/init.out 2>" + lab.dir() + "/init.err");
  INFO(create.err << vsrv::try_read_file(lab.dir() + "/init.err").value_or(""));
  REQUIRE(create.status == 0);
  Result start = lab.vsrv({"start", id});
  REQUIRE(start.status == 0);

  // The attacker's bait: what an administrator runs, or is tricked into running.
  for (int round = 0; round < 10; ++round) {
    for (const char* cmd : {"/evil", "/proc/self/exe"}) {
      Result r = lab.vsrv({"exec", id, "--", cmd, "--version"});
      INFO(cmd << ": " << r.status << " " << r.out << r.err);
      CHECK(r.status != 0);
      CHECK(r.out.find("vsrv") == std::string::npos);  // vsrv --version never ran
      CHECK(r.err.find("exec in " + id) != std::string::npos);
    }
    Result plain = lab.vsrv({"exec", id, "--", "probe", "self"});
    CHECK(plain.status == 0);
  }

  vsrv::write_file_atomic(out + "/stop", "");
  REQUIRE(wait_for(out + "/report", 10000));
  auto report = key_values(vsrv::read_file(out + "/report"));
  INFO(vsrv::read_file(out + "/report"));
  CHECK(std::stol(report["scans"]) > 0);
  CHECK(report["exe-write-opened"] == "0");
  CHECK(report["reached-vsrv"] == "0");
  CHECK(report["kept-write-opened"] == "0");
  CHECK(report["kept-written"] == "0");
  // The binary on the host is byte for byte what it was.
  CHECK(vsrv::read_file(lab.binary()) == before);
}

TEST_CASE("a server's init cannot be the vsrv binary either", "[security][escape]") {
  EscapeLab lab;
  const std::string before = vsrv::read_file(lab.binary());
  std::string rootfs = lab.make_rootfs("init");
  vsrv::write_file_atomic(rootfs + "/evil", "#!/proc/self/exe\n", 0755);
  for (const char* cmd : {"/evil", "/proc/self/exe"}) {
    std::string bundle =
        lab.make_bundle("init", std::string("process: {args: [") + cmd +
                                    ", --version], terminal: false}\n" + kHostLibraries);
    Result r = lab.vsrv({"run", "-b", bundle, lab.new_id("init")});
    INFO(cmd << ": " << r.status << " " << r.out << r.err);
    CHECK(r.status != 0);
    CHECK(r.out.find("vsrv") == std::string::npos);
    CHECK(vsrv::test::one_error_line(r.err));
  }
  CHECK(vsrv::read_file(lab.binary()) == before);
}
