// pause/resume and live update through the vsrv binary: the cgroup files read
// back, and what the processes in the server see.
#include <catch2/catch.hpp>

#include "harness_resources.hpp"
#include "vsrv/base/file.hpp"

using namespace vsrv::test;

TEST_CASE("pause stops a counter from advancing and resume restarts it") {
  VsrvHarness h;
  std::string id = h.new_id("pause");
  h.run_detached(id, sh_spec("i=0; while :; do i=$((i+1)); echo $i; sleep 0.02; done"));
  REQUIRE(eventually([&] { return log_lines(h, id).size() >= 3; }, 5000));

  Result p = h.vsrv({"pause", id});
  INFO(p.err);
  REQUIRE(p.status == 0);
  CHECK(h.status(id) == "paused");
  CHECK(read_trimmed(cgroup_file(h, id, "freezer", "freezer.state", "cgroup.freeze")) ==
        (pure_cgroup_v2() ? "1" : "FROZEN"));
  sleep_ms(100);  // the monitor copies what was written before the freeze
  size_t frozen_at = log_lines(h, id).size();
  sleep_ms(500);
  CHECK(log_lines(h, id).size() == frozen_at);
  // Wrong states are exit 2 with one line.
  Result again = h.vsrv({"pause", id});
  CHECK(again.status == 2);
  CHECK(one_error_line(again.err));

  Result r = h.vsrv({"resume", id});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(h.status(id) == "running");
  CHECK(eventually([&] { return log_lines(h, id).size() >= frozen_at + 3; }, 5000));
  Result twice = h.vsrv({"resume", id});
  CHECK(twice.status == 2);
  CHECK(twice.err.find("not paused") != std::string::npos);

  // A paused server still stops and deletes.
  REQUIRE(h.vsrv({"pause", id}).status == 0);
  Result del = h.vsrv({"delete", "--force", id});
  CHECK(del.status == 0);
  CHECK(h.traces(id).empty());
  CHECK(h.vsrv({"pause", id}).status == 2);
  CHECK(h.vsrv({"resume", "no-such-server"}).status == 2);
}

TEST_CASE("update raises and lowers limits of a running server") {
  VsrvHarness h;
  std::string id = h.new_id("upd");
  h.run_detached(id, sh_spec("exec sleep 1000", "linux: {resources: {pids: {limit: 20}}}\n"));
  std::string pids_max = cgroup_file(h, id, "pids", "pids.max", "pids.max");
  auto fork_in_server = [&] {
    return h.vsrv({"exec", id, "--", "sh", "-c", "sleep 0 && echo forked"});
  };
  REQUIRE(read_trimmed(pids_max) == "20");
  CHECK(fork_in_server().out == "forked\n");

  {  // pids: below the current count no process can fork, raised again it can
    REQUIRE(h.vsrv({"update", id, "--pids-limit", "1"}).status == 0);
    CHECK(read_trimmed(pids_max) == "1");
    Result refused = fork_in_server();  // exec joins (allowed), its fork is refused
    CHECK(refused.status != 0);
    CHECK(refused.out.find("forked") == std::string::npos);
    CHECK(stats_json(h, id)["pids"]["failcnt"].get<int>() >= 1);
    REQUIRE(h.vsrv({"update", id, "--pids-limit", "50"}).status == 0);
    CHECK(read_trimmed(pids_max) == "50");
    CHECK(fork_in_server().out == "forked\n");
    REQUIRE(h.vsrv({"update", id, "--pids-limit", "-1"}).status == 0);
    CHECK(read_trimmed(pids_max) == "max");
  }
  {  // memory and cpu flags
    std::string mem = cgroup_file(h, id, "memory", "memory.limit_in_bytes", "memory.max");
    REQUIRE(h.vsrv({"update", id, "--memory", "256Mi"}).status == 0);
    CHECK(read_trimmed(mem) == "268435456");
    REQUIRE(h.vsrv({"update", id, "--memory", "64Mi"}).status == 0);
    CHECK(read_trimmed(mem) == "67108864");
    REQUIRE(h.vsrv({"update", id, "--cpus", "0.5"}).status == 0);
    nlohmann::json cpu = stats_json(h, id)["cpu"]["limit"];
    CHECK(cpu["quota"] == 50000);
    CHECK(cpu["period"] == 100000);
    REQUIRE(h.vsrv({"update", id, "--cpu-quota", "-1"}).status == 0);
    CHECK(stats_json(h, id)["cpu"]["limit"]["quota"].is_null());
  }
  {  // -r takes OCI linux.resources JSON, flags override it
    std::string file = h.scratch() + "/resources.json";
    vsrv::write_file_atomic(file,
                            R"({"memory": {"limit": 100663296}, "pids": {"limit": 30},
                                "cpu": {"quota": 30000, "period": 100000}})",
                            0644);
    Result r = h.vsrv({"update", id, "-r", file, "--pids-limit", "40"});
    INFO(r.err);
    REQUIRE(r.status == 0);
    nlohmann::json s = stats_json(h, id);
    CHECK(s["memory"]["usage"]["limit"] == 100663296);
    CHECK(s["pids"]["limit"] == 40);
    CHECK(s["cpu"]["limit"]["quota"] == 30000);
    // From stdin, as runc update -r - reads it.
    Result in = h.vsrv({"update", id, "-r", "-"}, R"({"pids": {"limit": 25}})");
    REQUIRE(in.status == 0);
    CHECK(read_trimmed(pids_max) == "25");
  }
  {  // bad or impossible limits are clear errors and change nothing
    std::string pids_before = read_trimmed(pids_max);
    nlohmann::json limits_before = stats_json(h, id)["cpu"]["limit"];
    struct Case {
      std::vector<std::string> args;
      std::string field;
    };
    std::string bad_file = h.scratch() + "/bad.json";
    vsrv::write_file_atomic(bad_file, "{\"pids\": {\"limit\": \"lots\"}}", 0644);
    for (const Case& c : std::vector<Case>{
             {{"--cpuset-cpus", "4000"}, "linux.resources.cpu.cpus"},  // refused by the kernel
             {{"--cpus", "0.001"}, "linux.resources.cpu.quota"},
             {{"--memory", "12x"}, "--memory"},
             {{"--pids-limit", "many"}, "--pids-limit"},
             {{"-r", bad_file}, "linux.resources.pids.limit"},
             {{}, "nothing to change"}}) {
      std::vector<std::string> args = {"update", id};
      args.insert(args.end(), c.args.begin(), c.args.end());
      Result r = h.vsrv(args);
      INFO(r.err);
      CHECK(r.status == 1);
      CHECK(one_error_line(r.err));
      CHECK(r.err.find(c.field) != std::string::npos);
    }
    CHECK(read_trimmed(pids_max) == pids_before);
    CHECK(stats_json(h, id)["cpu"]["limit"] == limits_before);
    Result gone = h.vsrv({"update", "no-such-server", "--pids-limit", "5"});
    CHECK(gone.status == 2);
  }
}
