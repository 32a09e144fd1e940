// CVE-2024-21626 class: a working directory outside the root through a
// leaked fd. vsrv is started with a host directory open (without
// close-on-exec) at fd N, and the spec's process.cwd (or exec --cwd) is
// /proc/self/fd/N, for N in 3..10. The process must either not start (one
// error line) or run with its cwd inside the server; either way the host
// directory stays empty (the process tries to create a file in its cwd) and
// the process holds only fds 0-2.
#include <catch2/catch.hpp>
#include <string>

#include "harness_escape.hpp"
#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::EscapeLab;
using vsrv::test::key_values;
using vsrv::test::lines_of;
using vsrv::test::Result;

namespace {

// What the process does: report, then write into its working directory.
const char* kScript = "probe self; touch escaped-$$";

void check_contained(const Result& r, const std::string& hostdir, int fd) {
  INFO("fd " << fd << ": status " << r.status << "\n" << r.out << r.err);
  if (r.status != 0) {
    // Refused: one line naming the working directory.
    CHECK(vsrv::test::one_error_line(r.err));
    CHECK(r.err.find("cwd") != std::string::npos);
    CHECK(r.out.find("cwd=") == std::string::npos);  // the process never ran
  } else {
    auto kv = key_values(r.out);
    CHECK(kv["cwd-inside"] == "yes");
    std::vector<std::string> fds;
    for (const auto& line : lines_of(r.out))
      if (line.rfind("fd=", 0) == 0) fds.push_back(line.substr(3));
    CHECK(fds == std::vector<std::string>{"0", "1", "2"});
  }
  CHECK(vsrv::test::dir_names(hostdir).empty());
}

}  // namespace

TEST_CASE("process.cwd through a leaked fd stays inside the server", "[security][escape]") {
  EscapeLab lab;
  std::string hostdir = lab.dir() + "/host";
  vsrv::make_dirs(hostdir, 0777);
  for (int fd = 3; fd <= 10; ++fd) {
    std::string bundle = lab.make_bundle(
        "cwd", "process: {args: [sh, -c, " + vsrv::test::yaml_quote(kScript) +
                   "], cwd: /proc/self/fd/" + std::to_string(fd) + ", terminal: false}\n");
    Result r = lab.vsrv_redirected({"run", "-b", bundle, lab.new_id("cwd")},
                                   std::to_string(fd) + "<" + vsrv::test::shell_quote(hostdir));
    check_contained(r, hostdir, fd);
  }
}

TEST_CASE("exec --cwd through a leaked fd stays inside the server", "[security][escape]") {
  EscapeLab lab;
  std::string hostdir = lab.dir() + "/host";
  vsrv::make_dirs(hostdir, 0777);
  std::string id = lab.new_id("cwdx");
  Result run = lab.vsrv(
      {"run", "-d", "-b",
       lab.make_bundle("cwdx", "process: {args: [sleep, '1000'], terminal: false}\n"), id});
  INFO(run.err);
  REQUIRE(run.status == 0);
  for (int fd = 3; fd <= 10; ++fd) {
    Result r = lab.vsrv_redirected(
        {"exec", "--cwd", "/proc/self/fd/" + std::to_string(fd), id, "--", "sh", "-c", kScript},
        std::to_string(fd) + "<" + vsrv::test::shell_quote(hostdir));
    check_contained(r, hostdir, fd);
  }
  // An ordinary directory of the server is fine.
  Result ok = lab.vsrv({"exec", "--cwd", "/tmp", id, "--", "sh", "-c", kScript});
  INFO(ok.out << ok.err);
  REQUIRE(ok.status == 0);
  CHECK(key_values(ok.out)["cwd"] == "/tmp");
  CHECK(key_values(ok.out)["cwd-inside"] == "yes");
}
