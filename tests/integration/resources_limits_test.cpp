// Limits enforced for real, through the vsrv binary: a fork bomb stops at
// pids.max, a memory hog is OOM-killed inside its server only, a CPU quota
// holds a busy loop, and a limit the kernel refuses is a clear error that
// leaves nothing behind. Runs on the v1/hybrid host and, in tests/vm, on a
// pure cgroup v2 kernel.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <iostream>

#include "harness_resources.hpp"

using namespace vsrv::test;

namespace {

bool host_can_fork() {
  pid_t p = ::fork();
  if (p < 0) return false;
  if (p == 0) ::_exit(0);
  int status = 0;
  return ::waitpid(p, &status, 0) == p && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

TEST_CASE("a fork bomb stops at pids.max and the host is unaffected") {
  VsrvHarness h;
  std::string id = h.new_id("bomb");
  // The classic bomb; the init then execs sleep so that it needs no fork.
  h.run_detached(id, sh_spec("f() { f | f & }; f; exec sleep 1000",
                             "linux: {resources: {pids: {limit: 20}}}\n"));
  std::string max = cgroup_file(h, id, "pids", "pids.max", "pids.max");
  CHECK(read_trimmed(max) == "20");
  // The bomb runs into the limit over and over.
  REQUIRE(eventually([&] { return stats_json(h, id)["pids"]["failcnt"].get<int>() >= 10; }, 10000));
  for (int i = 0; i < 5; ++i) {
    nlohmann::json s = stats_json(h, id);
    CHECK(s["pids"]["current"].get<int>() <= 20);
    CHECK(s["pids"]["limit"] == 20);
    CHECK(host_can_fork());
    sleep_ms(50);
  }
  CHECK(h.status(id) == "running");
  // delete --force kills the whole bomb.
  Result del = h.vsrv({"delete", "--force", id});
  INFO(del.err);
  CHECK(del.status == 0);
  CHECK(h.traces(id).empty());
}

TEST_CASE("a memory hog is OOM-killed inside its server only; stats, state and list show it") {
  VsrvHarness h;
  std::string id = h.new_id("hog"), other = h.new_id("calm");
  h.run_detached(other, sh_spec("exec sleep 1000"));
  h.run_detached(id, sh_spec("dd if=/dev/zero of=/dev/null bs=96M count=1; echo dd=$?; "
                             "exec sleep 1000",
                             "linux: {resources: {memory: {limit: 32Mi}}}\n"));
  CHECK(read_trimmed(cgroup_file(h, id, "memory", "memory.limit_in_bytes", "memory.max")) ==
        "33554432");
  REQUIRE(eventually(
      [&] {
        for (const auto& l : log_lines(h, id))
          if (l == "dd=137") return true;  // SIGKILL from the OOM killer
        return false;
      },
      10000));
  // The server's init lives on; so does the server next to it.
  CHECK(h.status(id) == "running");
  CHECK(h.status(other) == "running");

  nlohmann::json s = stats_json(h, id);
  CHECK(s["memory"]["oomKills"].get<int>() >= 1);
  CHECK(s["memory"]["oomEvents"].get<int>() >= 1);
  CHECK(s["memory"]["usage"]["failcnt"].get<int>() >= 1);
  CHECK(s["memory"]["usage"]["limit"] == 33554432);
  CHECK(s["memory"]["usage"]["max"].get<int64_t>() <= 33554432);
  CHECK(stats_json(h, other)["memory"]["oomKills"] == 0);

  CHECK(h.state(id).value("oomKilled", false));
  CHECK_FALSE(h.state(other).contains("oomKilled"));
  Result list = h.vsrv({"list", "--format", "json"});
  REQUIRE(list.status == 0);
  bool listed = false;
  for (const auto& j : nlohmann::json::parse(list.out))
    if (j["id"] == id) listed = j.value("oomKilled", false);
  CHECK(listed);
  Result table = h.vsrv({"list"});
  bool marked = false;
  for (const auto& l : lines_of(table.out))
    if (l.rfind(id + " ", 0) == 0) marked = l.find(" oom") != std::string::npos;
  CHECK(marked);
  Result bean = h.vsrv({"stats", id});
  CHECK(bean.status == 0);
  CHECK(bean.out.find("oomkills") != std::string::npos);
}

TEST_CASE("a CPU quota of 0.2 holds a busy loop to about 20%") {
  VsrvHarness h;
  std::string id = h.new_id("cpu");
  h.run_detached(id, sh_spec("while :; do :; done", "linux: {resources: {cpu: {cpus: 0.2}}}\n"));
  std::string quota = pure_cgroup_v2()
                          ? read_trimmed(cgroup_file(h, id, "cpu", "", "cpu.max"))
                          : read_trimmed(cgroup_file(h, id, "cpu", "cpu.cfs_quota_us", "")) + " " +
                                read_trimmed(cgroup_file(h, id, "cpu", "cpu.cfs_period_us", ""));
  CHECK(quota == "20000 100000");
  sleep_ms(300);  // past the first, unthrottled period
  auto usage = [&] { return stats_json(h, id)["cpu"]["usage"]["total"].get<double>(); };
  double u0 = usage();
  long long t0 = now_ms();
  sleep_ms(2000);
  double u1 = usage();
  long long t1 = now_ms();
  double share = (u1 - u0) / 1e6 / static_cast<double>(t1 - t0);
  std::cout << "cpu quota 0.2: busy loop used " << share * 100 << "% of one CPU over " << (t1 - t0)
            << " ms\n";
  // Tolerance (docs/cgroups.md): 10-30%; CFS enforces the quota per 100 ms
  // period, the measurement window is 20 periods.
  CHECK(share >= 0.10);
  CHECK(share <= 0.30);
  CHECK(stats_json(h, id)["cpu"]["throttling"]["throttledPeriods"].get<int>() > 0);
}

TEST_CASE("a limit the kernel refuses is a clear error and leaves nothing behind") {
  VsrvHarness h;
  std::string id = h.new_id("bad");
  // A syntactically valid cpuset naming CPUs no machine here has.
  Result r = h.vsrv({"run", "-d", "--template", kTemplate, "-f",
                     h.write_spec(sh_spec("exec sleep 1000",
                                          "linux: {resources: {cpu: {cpus: \"4000-4001\"}}}\n")),
                     id});
  INFO(r.err);
  CHECK(r.status == 1);
  CHECK(one_error_line(r.err));
  CHECK(r.err.find("linux.resources.cpu.cpus") != std::string::npos);
  CHECK(h.traces(id).empty());
  CHECK(h.vsrv({"state", id}).status == 2);
}
