// Many vsrv commands at once: two creates of one id (exactly one wins and
// the loser touches nothing), and 20 servers of one template side by side.
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness_vsrv.hpp"

using vsrv::test::kTemplate;
using vsrv::test::ns_link;
using vsrv::test::one_error_line;
using vsrv::test::Result;
using vsrv::test::run_limited;
using vsrv::test::VsrvHarness;

namespace {

const char* kSleeper = "process: {args: [sleep, '1000'], terminal: false}\n";

// Runs each argv in its own thread, all at once.
std::vector<Result> run_together(const std::vector<std::vector<std::string>>& argvs) {
  std::vector<Result> results(argvs.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < argvs.size(); ++i)
    threads.emplace_back([&, i] { results[i] = run_limited(argvs[i], "", 60000); });
  for (auto& t : threads) t.join();
  return results;
}

}  // namespace

TEST_CASE("of two concurrent creates of one id exactly one succeeds", "[lifecycle][concurrency]") {
  VsrvHarness h;
  std::string spec = h.write_spec(kSleeper);
  for (int round = 0; round < 5; ++round) {
    std::string id = h.new_id("twin");
    auto argv = h.argv({"create", "--template", kTemplate, "-f", spec, id});
    auto results = run_together({argv, argv});
    const Result& a = results[0];
    const Result& b = results[1];
    INFO("round " << round << ": " << a.status << " " << a.err << " / " << b.status << " "
                  << b.err);
    REQUIRE(a.status + b.status == 2);  // one 0, one 2
    const Result& loser = a.status == 2 ? a : b;
    CHECK(one_error_line(loser.err));
    CHECK(loser.err.find("exists already") != std::string::npos);

    // The winner's server is intact and works.
    CHECK(h.status(id) == "created");
    Result s = h.vsrv({"start", id});
    INFO(s.err);
    REQUIRE(s.status == 0);
    Result e = h.vsrv({"exec", id, "--", "cat", "/proc/1/cmdline"});
    CHECK(e.status == 0);
    CHECK(e.out == std::string("sleep\0"
                               "1000\0",
                               11));
    auto dirs = h.state_file(id).at("cgroupDirs").get<std::vector<std::string>>();
    CHECK(h.vsrv({"delete", "--force", id}).status == 0);
    CHECK(h.traces(id, dirs) == std::vector<std::string>{});
  }
}

TEST_CASE("20 servers of one template run at once", "[lifecycle][concurrency]") {
  VsrvHarness h;
  std::string spec = h.write_spec(kSleeper);
  const int n = 20;
  std::vector<std::string> ids;
  std::vector<std::vector<std::string>> argvs;
  for (int i = 0; i < n; ++i) {
    ids.push_back(h.new_id("many"));
    argvs.push_back(h.argv({"run", "-d", "--template", kTemplate, "-f", spec, ids.back()}));
  }
  auto results = run_together(argvs);
  for (int i = 0; i < n; ++i) {
    INFO(ids[i] << ": " << results[i].err);
    CHECK(results[i].status == 0);
  }

  Result l = h.vsrv({"list", "--format", "json"});
  REQUIRE(l.status == 0);
  auto list = nlohmann::json::parse(l.out);
  CHECK(list.size() == static_cast<size_t>(n));
  std::set<int> pids;
  std::set<std::string> pid_namespaces;
  std::vector<std::vector<std::string>> dirs;
  for (const auto& e : list) {
    CHECK(e.at("status") == "running");
    CHECK(e.at("template") == kTemplate);
    int pid = e.at("pid").get<int>();
    pids.insert(pid);
    pid_namespaces.insert(ns_link(pid, "pid"));
  }
  CHECK(pids.size() == static_cast<size_t>(n));
  CHECK(pid_namespaces.size() == static_cast<size_t>(n));
  for (const auto& id : ids)
    dirs.push_back(h.state_file(id).at("cgroupDirs").get<std::vector<std::string>>());

  std::vector<std::vector<std::string>> deletes;
  for (const auto& id : ids) deletes.push_back(h.argv({"delete", "--force", id}));
  auto deleted = run_together(deletes);
  for (int i = 0; i < n; ++i) {
    INFO(ids[i] << ": " << deleted[i].err);
    CHECK(deleted[i].status == 0);
    CHECK(h.traces(ids[i], dirs[i]) == std::vector<std::string>{});
  }
  CHECK(h.vsrv({"list", "-q"}).out.empty());
}
