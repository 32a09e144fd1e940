// `vsrv exec`: exit codes, the server's namespaces and cgroup, -e/--cwd/-u,
// -d, and refusal when the server is not running.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::lines_of;
using vsrv::test::ns_link;
using vsrv::test::one_error_line;
using vsrv::test::Result;
using vsrv::test::VsrvHarness;

namespace {

const char* kSleeper = "process: {args: [sleep, '1000'], terminal: false}\n";

}  // namespace

TEST_CASE("exec returns the command's exit code", "[lifecycle][exec]") {
  VsrvHarness h;
  std::string id = h.new_id("code");
  h.run_detached(id, kSleeper);
  for (int code : {0, 7, 255}) {
    Result r = h.vsrv({"exec", id, "--", "sh", "-c", "exit " + std::to_string(code)});
    INFO(r.err);
    CHECK(r.status == code);
  }
  // Killed by a signal: 128 + signal.
  Result k = h.vsrv({"exec", id, "--", "sh", "-c", "kill -9 $$"});
  CHECK(k.status == 137);
  // Standard streams are wired: stdin in, stdout and stderr out.
  Result io =
      h.vsrv({"exec", id, "--", "sh", "-c", "read l; echo out:$l; echo err:$l >&2"}, "hello\n");
  CHECK(io.status == 0);
  CHECK(io.out == "out:hello\n");
  CHECK(io.err == "err:hello\n");
}

TEST_CASE("exec joins every namespace and the cgroup of the server", "[lifecycle][exec]") {
  VsrvHarness h;
  std::string id = h.new_id("ns");
  h.run_detached(id, kSleeper);
  pid_t init = h.state(id).at("pid").get<pid_t>();
  const std::vector<std::string> types = {"pid", "mnt", "net", "uts", "ipc", "cgroup"};
  std::string script;
  for (const auto& t : types) script += "readlink /proc/self/ns/" + t + "; ";
  Result r = h.vsrv({"exec", id, "--", "sh", "-c", script});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  auto inside = lines_of(r.out);
  REQUIRE(inside.size() == types.size());
  for (size_t i = 0; i < types.size(); ++i) {
    INFO(types[i]);
    std::string server = ns_link(init, types[i]);
    CHECK(inside[i] == server);
    // Each is the server's own, not the host's.
    CHECK(server != ns_link(::getpid(), types[i]));
  }

  // The exec'd process sits in the init's cgroup in every hierarchy.
  std::string pid_file = h.scratch() + "/exec.pid";
  Result d = h.vsrv({"exec", "-d", "--pid-file", pid_file, id, "--", "sleep", "1000"});
  INFO(d.err);
  REQUIRE(d.status == 0);
  std::string pid = vsrv::trim(vsrv::read_file(pid_file));
  std::string cg = vsrv::read_file("/proc/" + pid + "/cgroup");
  CHECK(cg == vsrv::read_file("/proc/" + std::to_string(init) + "/cgroup"));
  INFO("exec'd process " << pid << ": " << cg);
  for (const auto& line : lines_of(cg)) {
    std::string tail = "/vsrv/" + id;
    CHECK(line.size() > tail.size());
    CHECK(line.compare(line.size() - std::min(line.size(), tail.size()), tail.size(), tail) == 0);
  }
  // ... and in the server's pid namespace: ps inside lists it.
  Result ps = h.vsrv({"ps", id});
  CHECK(ps.out.find(pid) != std::string::npos);
}

TEST_CASE("exec applies -e, --cwd and -u", "[lifecycle][exec]") {
  VsrvHarness h;
  std::string id = h.new_id("opts");
  h.run_detached(id, kSleeper);
  Result r = h.vsrv({"exec", "-e", "LT_VAR=forty two", "-e", "PATH=/bin", "--cwd", "/tmp", "-u",
                     "1000:1001", id, "--", "sh", "-c",
                     "echo \"$LT_VAR\"; echo $PATH; pwd; id -u; id -g"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(lines_of(r.out) == std::vector<std::string>{"forty two", "/bin", "/tmp", "1000", "1001"});
  // Without options: the spec's defaults (root, /).
  Result d = h.vsrv({"exec", id, "--", "sh", "-c", "pwd; id -u; echo $LT_VAR"});
  CHECK(lines_of(d.out) == std::vector<std::string>{"/", "0", ""});
  // A relative --cwd is a usage error.
  Result bad = h.vsrv({"exec", "--cwd", "tmp", id, "--", "true"});
  CHECK(bad.status == 1);
  CHECK(one_error_line(bad.err));
}

TEST_CASE("exec into a server that is not running fails with exit 2", "[lifecycle][exec]") {
  VsrvHarness h;
  std::string created = h.new_id("created");
  Result c = h.vsrv(
      {"create", "--template", vsrv::test::kTemplate, "-f", h.write_spec(kSleeper), created});
  REQUIRE(c.status == 0);
  Result r1 = h.vsrv({"exec", created, "--", "true"});
  CHECK(r1.status == 2);
  CHECK(one_error_line(r1.err));
  CHECK(h.status(created) == "created");

  std::string stopped = h.new_id("stopped");
  h.run_detached(stopped, "process: {args: ['true'], terminal: false}\n");
  REQUIRE(h.wait_status(stopped, "stopped"));
  Result r2 = h.vsrv({"exec", stopped, "--", "true"});
  INFO(r2.err);
  CHECK(r2.status == 2);
  CHECK(one_error_line(r2.err));
  CHECK(r2.err.find(stopped) != std::string::npos);
}
