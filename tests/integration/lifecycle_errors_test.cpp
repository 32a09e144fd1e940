// Bad input: one line `vsrv: ...` on stderr, exit 1 for usage and spec
// errors, 2 for a wrong state or an unknown server, and nothing left behind.
#include <dirent.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::kTemplate;
using vsrv::test::one_error_line;
using vsrv::test::Result;
using vsrv::test::VsrvHarness;

namespace {

const char* kSleeper = "process: {args: [sleep, '1000'], terminal: false}\n";

std::vector<std::string> entries(const std::string& dir) {
  return vsrv::list_dir(dir);
}

// The command failed as documented and created nothing at all.
void check_refused(const VsrvHarness& h, const Result& r, int code, const std::string& id) {
  INFO("stderr: " << r.err);
  CHECK(r.status == code);
  CHECK(one_error_line(r.err));
  CHECK(entries(h.root()) == std::vector<std::string>{});
  CHECK(entries(h.data() + "/servers") == std::vector<std::string>{});
  if (!id.empty()) CHECK(h.traces(id) == std::vector<std::string>{});
}

}  // namespace

TEST_CASE("a missing rootfs or template is refused before any side effect", "[lifecycle][errors]") {
  VsrvHarness h;
  std::string bundle = h.scratch() + "/bundle";
  vsrv::make_dirs(bundle);
  vsrv::write_file_atomic(
      bundle + "/config.yaml",
      std::string("vsrv: {template: \"\"}\nroot: {path: missing}\n") + kSleeper);
  for (const char* verb : {"create", "run"}) {
    std::string id = h.new_id("norootfs");
    Result r = h.vsrv({verb, "-b", bundle, id});
    check_refused(h, r, 1, id);
    CHECK(r.err.find("root.path") != std::string::npos);
    CHECK(r.err.find(bundle + "/missing") != std::string::npos);
  }
  std::string id = h.new_id("notemplate");
  Result t = h.vsrv({"create", "--template", "nosuch", "-f", h.write_spec(kSleeper), id});
  check_refused(h, t, 1, id);
  CHECK(t.err.find("nosuch") != std::string::npos);

  Result nofile = h.vsrv({"create", "-f", h.scratch() + "/nosuch.yaml", h.new_id("nofile")});
  check_refused(h, nofile, 1, "");
  Result noconfig = h.vsrv({"create", "-b", h.scratch(), h.new_id("noconfig")});
  check_refused(h, noconfig, 1, "");
}

TEST_CASE("a bad spec is refused with its file, line and field", "[lifecycle][errors]") {
  VsrvHarness h;
  struct Case {
    std::string yaml, where;
  };
  const std::vector<Case> cases = {
      {"hostname: ok\nprocess:\n  args: 5\n", ":3: process.args"},
      {"process: {args: []}\n", ":1: process.args"},
      {"process: {args: [sh]}\nlinux:\n  resources: {memory: {limit: 12Q}}\n",
       ":3: linux.resources.memory.limit"},
      {"process: {args: [sh]}\nlinux:\n  namespaces:\n    - type: pid\n    - type: bogus\n",
       ":5: linux.namespaces[1].type"},
      {"process: {args: [sh]}\nhostname: [a, b]\n", ":2: hostname"},
  };
  for (const auto& c : cases) {
    std::string spec = h.write_spec(c.yaml);
    std::string name = spec.substr(spec.rfind('/') + 1);
    std::string id = h.new_id("badspec");
    Result r = h.vsrv({"create", "--template", kTemplate, "-f", spec, id});
    INFO(c.yaml);
    check_refused(h, r, 1, id);
    CHECK(r.err.find(name + c.where + ": ") != std::string::npos);
  }
}

TEST_CASE("a bad server id is refused", "[lifecycle][errors]") {
  VsrvHarness h;
  REQUIRE(::access((h.root() + "/../escape").c_str(), F_OK) != 0);
  std::string spec = h.write_spec(kSleeper);
  for (const std::string& id : std::vector<std::string>{"../escape", "a/b", ".hidden", "with space",
                                                        std::string(200, 'x'), "", "ümlaut"}) {
    INFO("id \"" << id << "\"");
    Result r = h.vsrv({"create", "--template", kTemplate, "-f", spec, "--", id});
    check_refused(h, r, 1, "");
    CHECK(r.err.find("id") != std::string::npos);
  }
  // Nothing escaped the root either.
  CHECK(::access((h.root() + "/../escape").c_str(), F_OK) != 0);
}

TEST_CASE("an unknown server id gives exit 2", "[lifecycle][errors]") {
  VsrvHarness h;
  std::string id = h.new_id("unknown");
  const std::vector<std::vector<std::string>> commands = {
      {"state", id},  {"start", id}, {"kill", id}, {"kill", id, "KILL"}, {"exec", id, "--", "true"},
      {"delete", id}, {"stop", id},  {"ps", id},   {"logs", id}};
  for (const auto& c : commands) {
    INFO(c[0]);
    Result r = h.vsrv(c);
    check_refused(h, r, 2, id);
    CHECK(r.err.find(id) != std::string::npos);
  }
}

TEST_CASE("a command in the wrong state gives exit 2 and changes nothing", "[lifecycle][errors]") {
  VsrvHarness h;
  std::string id = h.new_id("state");
  h.run_detached(id, kSleeper);
  int pid = h.state(id).at("pid").get<int>();
  for (const std::vector<std::string>& c :
       std::vector<std::vector<std::string>>{{"start", id}, {"delete", id}}) {
    INFO(c[0]);
    Result r = h.vsrv(c);
    CHECK(r.status == 2);
    CHECK(one_error_line(r.err));
    CHECK(h.status(id) == "running");
    CHECK(h.state(id).at("pid") == pid);
  }
  // relaunch belongs to the server's monitor (restart policy): refused to
  // anyone else, without an exit recorded for the running server.
  Result relaunch = h.vsrv({"relaunch", id, "2", "0"});
  CHECK(relaunch.status != 0);
  CHECK(one_error_line(relaunch.err));
  CHECK(relaunch.err.find("monitor") != std::string::npos);
  CHECK_FALSE(vsrv::try_read_file(h.root() + "/" + id + "/exit").has_value());
  CHECK(h.status(id) == "running");
  CHECK(h.state(id).at("pid") == pid);
  // An existing id cannot be created again; the server is untouched.
  Result again = h.vsrv({"run", "-d", "--template", kTemplate, "-f", h.write_spec(kSleeper), id});
  CHECK(again.status == 2);
  CHECK(one_error_line(again.err));
  CHECK(again.err.find("exists already") != std::string::npos);
  CHECK(h.status(id) == "running");
  CHECK(h.state(id).at("pid") == pid);
  CHECK(h.vsrv({"exec", id, "--", "true"}).status == 0);

  REQUIRE(h.vsrv({"stop", "-t", "1", id}).status == 0);
  for (const std::vector<std::string>& c : std::vector<std::vector<std::string>>{
           {"start", id}, {"kill", id}, {"exec", id, "--", "true"}}) {
    INFO(c[0]);
    Result r = h.vsrv(c);
    CHECK(r.status == 2);
    CHECK(one_error_line(r.err));
    CHECK(h.status(id) == "stopped");
  }
}
