// Removal survives crashes: delete --force (and delete of a stopped server)
// cleans a server whose cgroup outlived the vsrv that made it.
#include <signal.h>

#include <catch2/catch.hpp>

#include "harness_resources.hpp"

using namespace vsrv::test;

TEST_CASE("delete --force cleans a paused server whose monitor was killed") {
  VsrvHarness h;
  std::string id = h.new_id("crash");
  h.run_detached(id, sh_spec("sleep 1000 & sleep 1000 & wait"));
  REQUIRE(h.vsrv({"pause", id}).status == 0);
  pid_t monitor = h.state_file(id).at("monitorPid").get<pid_t>();
  REQUIRE(monitor > 0);
  REQUIRE(::kill(monitor, SIGKILL) == 0);  // the monitor is ours: run -d started it
  Result ps = h.vsrv({"ps", id, "--format", "json"});
  REQUIRE(ps.status == 0);
  CHECK(nlohmann::json::parse(ps.out).size() == 3);  // still in the cgroup
  CHECK(h.vsrv({"delete", id}).status == 2);         // alive: needs --force
  Result del = h.vsrv({"delete", "--force", id});
  INFO(del.err);
  CHECK(del.status == 0);
  CHECK(h.traces(id).empty());
}

TEST_CASE("delete --force cleans a server whose attached vsrv run was killed") {
  VsrvHarness h;
  std::string id = h.new_id("att");
  std::string spec = h.write_spec(sh_spec("sleep 1000 & exec sleep 1000"));
  Background run(h.argv({"run", "--template", kTemplate, "-f", spec, id}));
  // Polled with plain `state`: the server does not exist for the first moments.
  long long deadline = now_ms() + 10000;
  while (h.vsrv({"state", id}).out.find("\"running\"") == std::string::npos && now_ms() < deadline)
    sleep_ms(20);
  REQUIRE(h.status(id) == "running");
  run.kill(SIGKILL);
  REQUIRE(run.wait(5000) == 128 + SIGKILL);
  Result ps = h.vsrv({"ps", id, "--format", "json"});
  REQUIRE(ps.status == 0);
  CHECK(nlohmann::json::parse(ps.out).size() == 2);
  Result del = h.vsrv({"delete", "--force", id});
  INFO(del.err);
  CHECK(del.status == 0);
  CHECK(h.traces(id).empty());
}

TEST_CASE("delete kills what a stopped server left in its cgroup") {
  VsrvHarness h;
  std::string id = h.new_id("orphan");
  // No pid namespace: the init's child outlives it.
  h.run_detached(id, sh_spec("sleep 1000 & exit 0",
                             "linux: {namespaces: [{type: mount}, {type: uts}, {type: ipc}]}\n"));
  REQUIRE(h.wait_status(id, "stopped"));
  Result ps = h.vsrv({"ps", id, "--format", "json"});
  REQUIRE(ps.status == 0);
  CHECK(nlohmann::json::parse(ps.out).size() == 1);
  Result del = h.vsrv({"delete", id});
  INFO(del.err);
  CHECK(del.status == 0);
  CHECK(h.traces(id).empty());
}
