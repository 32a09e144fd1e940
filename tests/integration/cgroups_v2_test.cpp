// The v2 backend, run for real on this hybrid host's cgroup2 mount
// (/sys/fs/cgroup/unified, no controllers) and, in tests/vm, on a pure v2
// kernel whose cgroup2 owns every controller. Every cgroup is made under the
// caller's own cgroup2 path.
#include <linux/sched.h>
#include <sys/syscall.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "cgroups_fixture.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/cgroups/backends.hpp"
#include "vsrv/cgroups/parse.hpp"

using namespace vsrv::cgroups;
using cgtest::exists;
using cgtest::read_trim;

namespace {
const std::string kMount = cgtest::v2_mount();
}

TEST_CASE("v2: create, add, pids, freeze, thaw, kill via cgroup.kill, remove") {
  cgtest::Fixture fx;
  auto cg = create_v2_at(kMount, fx.top() + "/a");
  CHECK(cg->backend() == Backend::kV2);
  std::string dir = cgtest::own_dirs()[""] + "/" + fx.top() + "/a";
  REQUIRE(cg->dirs() == std::vector<std::string>{dir});
  REQUIRE(exists(dir));
  CHECK(cg->clone_into_fd() >= 0);

  cgtest::Echo child = fx.echo();
  cg->add(child.pid);
  std::string own = cgtest::caller_path(cgtest::proc_cgroups("self")[""]);
  CHECK(cgtest::proc_cgroups(std::to_string(child.pid))[""] ==
        (own == "/" ? "" : own) + "/" + fx.top() + "/a");
  CHECK(cg->pids() == std::vector<pid_t>{child.pid});
  CHECK(child.ping(5000));

  cg->freeze();
  CHECK(cg->frozen());
  CHECK(read_trim(dir + "/cgroup.freeze") == "1");
  CHECK_FALSE(child.ping(200));
  cg->thaw();
  CHECK_FALSE(cg->frozen());
  CHECK(child.echoed(5000));

  cg->kill_all(SIGKILL);  // cgroup.kill, waits for "populated 0"
  CHECK(vsrv::cgroups::key_value(vsrv::read_file(dir + "/cgroup.events"), "populated") == "0");
  int status = fx.wait(child.pid);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  cg->remove();
  CHECK_FALSE(exists(dir));
  CHECK_NOTHROW(cg->remove());
}

TEST_CASE("v2: sub-cgroups are listed, signalled and removed first") {
  cgtest::Fixture fx;
  auto cg = create_v2_at(kMount, fx.top() + "/a");
  std::string dir = cg->dirs().front();
  cgtest::Echo a = fx.echo(), b = fx.echo();
  cg->add(a.pid);
  REQUIRE(::mkdir((dir + "/sub").c_str(), 0755) == 0);
  vsrv::write_file(dir + "/sub/cgroup.procs", std::to_string(b.pid));
  CHECK(cg->pids() == std::vector<pid_t>{std::min(a.pid, b.pid), std::max(a.pid, b.pid)});
  cg->kill_all(SIGTERM);  // freeze, kill each, thaw
  for (pid_t p : {a.pid, b.pid}) {
    int status = fx.wait(p);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGTERM);
  }
  CHECK(cg->pids().empty());
  cg->remove();
  CHECK_FALSE(exists(dir + "/sub"));
  CHECK_FALSE(exists(dir));
}

TEST_CASE("v2: a paused cgroup stays paused after SIGCONT and dies on SIGKILL") {
  cgtest::Fixture fx;
  auto cg = create_v2_at(kMount, fx.top() + "/a");
  cgtest::Echo a = fx.echo();
  cg->add(a.pid);
  cg->freeze();
  cg->kill_all(SIGCONT);
  CHECK(cg->frozen());
  cg->kill_all(SIGKILL);
  int status = fx.wait(a.pid);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  cg->remove();
}

TEST_CASE("v2: clone3(CLONE_INTO_CGROUP) with clone_into_fd places the child") {
  cgtest::Fixture fx;
  auto cg = create_v2_at(kMount, fx.top() + "/a");
  vsrv::Pipe hold = vsrv::Pipe::make();
  struct clone_args args = {};
  args.flags = CLONE_INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<uint64_t>(cg->clone_into_fd());
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) {
    hold.write.reset();  // or the read below never sees EOF
    char c;
    (void)!::read(hold.read.get(), &c, 1);
    _exit(0);
  }
  REQUIRE(pid > 0);
  fx.track(static_cast<pid_t>(pid));
  CHECK(cg->pids() == std::vector<pid_t>{static_cast<pid_t>(pid)});
  hold.write.reset();
  int status = fx.wait(static_cast<pid_t>(pid));
  CHECK(WIFEXITED(status));
  cg->remove();
}

TEST_CASE("v2: create refuses existing cgroups and '..'; load reopens") {
  cgtest::Fixture fx;
  auto cg = create_v2_at(kMount, fx.top() + "/a");
  CHECK_THROWS_WITH(create_v2_at(kMount, fx.top() + "/a"), Catch::Contains("exists already"));
  CHECK_THROWS_AS(create_v2_at(kMount, "../x"), vsrv::Error);
  CHECK_THROWS_AS(create_v2_at("/tmp", fx.top() + "/b"), vsrv::Error);  // not cgroup2
  auto again = Cgroup::load(cg->dirs());
  CHECK(again->backend() == Backend::kV2);
  CHECK(again->dirs() == cg->dirs());
  CHECK(again->clone_into_fd() >= 0);
  cgtest::Echo a = fx.echo();
  again->add(a.pid);
  CHECK(cg->pids() == std::vector<pid_t>{a.pid});
  again->kill_all(SIGKILL);
  fx.wait(a.pid);
  again->remove();
  CHECK_FALSE(exists(cg->dirs().front()));
}

TEST_CASE("v2: apply writes raw files and names what it cannot apply") {
  cgtest::Fixture fx;
  auto cg = create_v2_at(kMount, fx.top() + "/a");
  std::string dir = cg->dirs().front();
  Resources raw;
  raw.unified["cgroup.max.descendants"] = "2";
  cg->apply(raw);
  CHECK(read_trim(dir + "/cgroup.max.descendants") == "2");

  Resources mem;
  mem.memory.limit = 32 << 20;
  Resources pids;
  pids.pids.limit = 5;
  auto offered = vsrv::split(read_trim(kMount + "/cgroup.controllers"), ' ');
  if (std::find(offered.begin(), offered.end(), "memory") != offered.end()) {
    // A pure v2 kernel owns every controller: the limits are written.
    cg->apply(mem);
    CHECK(read_trim(dir + "/memory.max") == "33554432");
    cg->apply(pids);
    CHECK(read_trim(dir + "/pids.max") == "5");
    Resources cpu;
    cpu.cpu.shares = 1024;
    cpu.cpu.quota = 20000;
    cpu.cpu.period = 100000;
    cg->apply(cpu);
    CHECK(read_trim(dir + "/cpu.weight") == "39");
    CHECK(read_trim(dir + "/cpu.max") == "20000 100000");
    Stats st = cg->stats();
    CHECK(st.memory.limit == uint64_t{32 << 20});
    CHECK(st.pids.limit == uint64_t{5});
    CHECK(st.cpu.quota_usec == uint64_t{20000});
    CHECK(cg->watch_oom()->fd() >= 0);
    // A caller in a cgroup other than the root gave it controllers for its
    // children by moving its processes into a leaf.
    std::string own = cgtest::own_dirs()[""];
    if (own != kMount) {
      CHECK(read_trim(own + "/cgroup.procs").empty());
      std::string self = cgtest::proc_cgroups("self")[""];
      CHECK(self.substr(self.size() - 10) == "/vsrv.leaf");
    }
  } else {
    // No controller is available on the hybrid cgroup2 mount: a clear error, no write.
    CHECK_THROWS_WITH(cg->apply(mem), Catch::Contains("linux.resources.memory.limit") &&
                                          Catch::Contains("memory controller is not available"));
    CHECK_THROWS_WITH(cg->apply(pids), Catch::Contains("linux.resources.pids.limit"));
    CHECK_THROWS_AS(cg->watch_oom(), vsrv::Error);
    CHECK(cg->stats().memory.limit == std::nullopt);
  }
  Resources oom;
  oom.memory.disable_oom_killer = true;
  CHECK_THROWS_WITH(cg->apply(oom), Catch::Contains("disableOOMKiller"));
  Resources bad_key;
  bad_key.unified["../cgroup.procs"] = "1";
  CHECK_THROWS_AS(cg->apply(bad_key), vsrv::Error);
  Resources bad_value;
  bad_value.unified["cgroup.max.descendants"] = "lots";
  CHECK_THROWS_WITH(cg->apply(bad_value),
                    Catch::Contains("linux.resources.unified.cgroup.max.descendants"));
  cg->remove();
}
