// events: OOM events as the kernel reports them and stats lines, in runc's
// JSON-lines shape; the stream ends when the server stops.
#include <catch2/catch.hpp>

#include "harness_resources.hpp"

using namespace vsrv::test;

TEST_CASE("events reports an OOM kill as it happens and ends when the server stops") {
  VsrvHarness h;
  std::string id = h.new_id("ev");
  h.run_detached(id, sh_spec("exec sleep 1000", "linux: {resources: {memory: {limit: 32Mi}}}\n"));
  Background events(h.argv({"events", id, "--interval", "60s"}));
  // The first stats line comes at once: the watch is armed from then on.
  auto first = events.line(10000);
  REQUIRE(first);
  nlohmann::json stats = nlohmann::json::parse(*first);
  CHECK(stats["type"] == "stats");
  CHECK(stats["id"] == id);
  CHECK(stats["data"]["memory"]["usage"]["limit"] == 33554432);
  CHECK(stats["data"]["memory"]["oomKills"] == 0);

  Result hog =
      h.vsrv({"exec", id, "--", "dd", "if=/dev/zero", "of=/dev/null", "bs=96M", "count=1"});
  CHECK(hog.status == 137);  // SIGKILL
  auto oom = events.line(10000);
  REQUIRE(oom);
  CHECK(nlohmann::json::parse(*oom) == nlohmann::json({{"type", "oom"}, {"id", id}}));

  // --stats: one line, then exit.
  Result once = h.vsrv({"events", id, "--stats"});
  REQUIRE(once.status == 0);
  REQUIRE(lines_of(once.out).size() == 1);
  nlohmann::json s = nlohmann::json::parse(once.out);
  CHECK(s["type"] == "stats");
  CHECK(s["data"]["memory"]["oomKills"].get<int>() >= 1);
  CHECK(s["data"]["memory"]["usage"]["failcnt"].get<int>() >= 1);

  REQUIRE(h.vsrv({"kill", id, "KILL"}).status == 0);
  CHECK(events.wait(5000) == 0);
  CHECK_FALSE(events.line(100));
  // A stopped server has no events to stream.
  REQUIRE(h.wait_status(id, "stopped"));
  Result stopped = h.vsrv({"events", id});
  CHECK(stopped.status == 2);
  CHECK(one_error_line(stopped.err));
}

TEST_CASE("events reports the OOM kill of the init itself before it ends") {
  VsrvHarness h;
  std::string id = h.new_id("evinit");
  // The init waits for a file before it allocates, so the stream is armed first.
  h.run_detached(id, sh_spec("while [ ! -e /go ]; do sleep 0.02; done; "
                             "exec dd if=/dev/zero of=/dev/null bs=96M count=1",
                             "linux: {resources: {memory: {limit: 32Mi}}}\n"));
  Background events(h.argv({"events", id, "--interval", "60s"}));
  REQUIRE(events.line(10000));  // stats: armed
  REQUIRE(h.vsrv({"exec", id, "--", "touch", "/go"}).status == 0);
  auto oom = events.line(10000);
  REQUIRE(oom);
  CHECK(nlohmann::json::parse(*oom)["type"] == "oom");
  CHECK(events.wait(5000) == 0);
  REQUIRE(h.wait_status(id, "stopped"));
  nlohmann::json st = h.state(id);
  CHECK(st.value("oomKilled", false));
  CHECK(st.value("exitStatus", 0) == 137);
}

TEST_CASE("events and stats refuse bad input") {
  VsrvHarness h;
  for (const auto& args : std::vector<std::vector<std::string>>{{"events", "no-such-server"},
                                                                {"stats", "no-such-server"}}) {
    Result r = h.vsrv(args);
    CHECK(r.status == 2);
    CHECK(one_error_line(r.err));
  }
  std::string id = h.new_id("evbad");
  h.run_detached(id, sh_spec("exec sleep 1000"));
  for (const char* bad : {"0s", "soon", "-1s"}) {
    Result r = h.vsrv({"events", id, "--interval", bad});
    CHECK(r.status == 1);
    CHECK(r.err.find("--interval") != std::string::npos);
  }
  // Every server when no id is given.
  Result all = h.vsrv({"stats", "--format", "json"});
  REQUIRE(all.status == 0);
  bool found = false;
  for (const auto& j : nlohmann::json::parse(all.out)) found = found || j["id"] == id;
  CHECK(found);
}
