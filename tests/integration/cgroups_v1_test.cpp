// The v1/hybrid backend on this host's real hierarchies (root). Every cgroup
// is made under the caller's own cgroup and removed by the fixture.
#include <sys/mman.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "cgroups_fixture.hpp"
#include "vsrv/base/error.hpp"

using namespace vsrv::cgroups;
using cgtest::exists;
using cgtest::read_trim;

namespace {

// The directory of cg in hierarchy mount `mount` (e.g. "/sys/fs/cgroup/memory").
std::string dir_in(const Cgroup& cg, const std::string& mount) {
  for (const auto& d : cg.dirs())
    if (d.rfind(mount + "/", 0) == 0) return d;
  FAIL("no directory under " << mount);
  return "";
}

}  // namespace

TEST_CASE("v1: create nests the cgroup under the caller's own cgroup in every hierarchy") {
  cgtest::Fixture fx;
  REQUIRE(Cgroup::host_backend() == Backend::kV1);
  auto cg = Cgroup::create(fx.top() + "/a");
  CHECK(cg->backend() == Backend::kV1);
  CHECK(cg->clone_into_fd() == -1);
  std::vector<std::string> want;
  for (const auto& [key, own] : cgtest::own_dirs()) want.push_back(own + "/" + fx.top() + "/a");
  auto got = cg->dirs();
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  CHECK(got == want);
  for (const auto& d : got) CHECK(exists(d));
  // Under the machine's own memory cgroup, not beside it.
  std::string mem = dir_in(*cg, "/sys/fs/cgroup/memory");
  CHECK(mem == cgtest::own_dirs()["memory"] + "/" + fx.top() + "/a");
  for (const char* m : {"/sys/fs/cgroup/pids", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/freezer",
                        "/sys/fs/cgroup/unified"})
    CHECK(exists(dir_in(*cg, m)));
  // The new cpuset got cpus and mems (or no process could join it).
  CHECK_FALSE(read_trim(dir_in(*cg, "/sys/fs/cgroup/cpuset") + "/cpuset.cpus").empty());
  CHECK_FALSE(read_trim(dir_in(*cg, "/sys/fs/cgroup/cpuset") + "/cpuset.mems").empty());
  cg->remove();
  for (const auto& d : got) CHECK_FALSE(exists(d));
  CHECK_NOTHROW(cg->remove());  // idempotent
}

TEST_CASE("v1: add, pids, freeze, thaw, kill_all, remove") {
  cgtest::Fixture fx;
  auto cg = Cgroup::create(fx.top() + "/a");
  cgtest::Echo child = fx.echo();
  REQUIRE(child.ping(5000));
  cg->add(child.pid);

  // In every hierarchy, the child sits in the new cgroup.
  auto mine = cgtest::proc_cgroups("self");
  auto its = cgtest::proc_cgroups(std::to_string(child.pid));
  REQUIRE(its.size() == mine.size());
  for (const auto& [key, path] : mine)
    CHECK(its[key] == (path == "/" ? "" : path) + "/" + fx.top() + "/a");
  CHECK(cg->pids() == std::vector<pid_t>{child.pid});

  cg->freeze();
  CHECK(cg->frozen());
  CHECK(read_trim(dir_in(*cg, "/sys/fs/cgroup/freezer") + "/freezer.state") == "FROZEN");
  CHECK_FALSE(child.ping(200));  // a frozen child does not answer
  cg->thaw();
  CHECK_FALSE(cg->frozen());
  CHECK(child.echoed(5000));  // the byte sent while frozen is echoed now
  CHECK(child.ping(5000));

  cg->kill_all(SIGKILL);
  CHECK(cg->pids().empty());
  int status = fx.wait(child.pid);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);

  auto dirs = cg->dirs();
  cg->remove();
  for (const auto& d : dirs) CHECK_FALSE(exists(d));
}

TEST_CASE("v1: pids and kill_all cover sub-cgroups; remove removes them first") {
  cgtest::Fixture fx;
  auto cg = Cgroup::create(fx.top() + "/a");
  cgtest::Echo a = fx.echo(), b = fx.echo();
  cg->add(a.pid);
  cg->add(b.pid);
  // b moves to a sub-cgroup in the memory hierarchy (as a nested runtime would).
  std::string sub = dir_in(*cg, "/sys/fs/cgroup/memory") + "/sub";
  REQUIRE(::mkdir(sub.c_str(), 0755) == 0);
  vsrv::write_file(sub + "/cgroup.procs", std::to_string(b.pid));
  auto pids = cg->pids();
  CHECK(pids == std::vector<pid_t>{std::min(a.pid, b.pid), std::max(a.pid, b.pid)});
  // A signal other than SIGKILL goes through freeze / kill / thaw.
  cg->kill_all(SIGTERM);
  for (pid_t p : {a.pid, b.pid}) {
    int status = fx.wait(p);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGTERM);
  }
  CHECK(cg->pids().empty());
  cg->remove();
  CHECK_FALSE(exists(sub));
}

TEST_CASE("v1: kill_all(SIGKILL) of a frozen cgroup, and SIGTERM keeps a paused cgroup paused") {
  cgtest::Fixture fx;
  auto cg = Cgroup::create(fx.top() + "/a");
  cgtest::Echo a = fx.echo();
  // SIGCONT: a signal the child survives.
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

TEST_CASE("v1: create refuses an existing cgroup and '..'") {
  cgtest::Fixture fx;
  auto cg = Cgroup::create(fx.top() + "/a");
  CHECK_THROWS_WITH(Cgroup::create(fx.top() + "/a"), Catch::Contains("exists already"));
  for (const auto& d : cg->dirs()) CHECK(exists(d));  // the first one is untouched
  CHECK_THROWS_AS(Cgroup::create("../" + fx.top()), vsrv::Error);
  CHECK_THROWS_AS(Cgroup::create(fx.top() + "/../x"), vsrv::Error);
  cg->remove();
}

TEST_CASE("v1: a failed create leaves nothing behind") {
  cgtest::Fixture fx;
  auto own = cgtest::own_dirs();
  // The leaf exists already in the hierarchy created last (the cgroup2 one).
  std::string uni = own[""] + "/" + fx.top();
  REQUIRE(::mkdir(uni.c_str(), 0755) == 0);
  REQUIRE(::mkdir((uni + "/b").c_str(), 0755) == 0);
  CHECK_THROWS_WITH(Cgroup::create(fx.top() + "/b"), Catch::Contains("exists already"));
  // Everything the call made in the other hierarchies is gone, parents too.
  for (const auto& [key, dir] : own)
    if (!key.empty()) CHECK_FALSE(exists(dir + "/" + fx.top()));
  CHECK(exists(uni + "/b"));  // what it did not make stays
}

TEST_CASE("v1: load reopens a cgroup from its directories") {
  cgtest::Fixture fx;
  auto cg = Cgroup::create(fx.top() + "/a");
  auto again = Cgroup::load(cg->dirs());
  CHECK(again->backend() == Backend::kV1);
  CHECK(again->dirs() == cg->dirs());
  cgtest::Echo a = fx.echo();
  again->add(a.pid);
  CHECK(cg->pids() == std::vector<pid_t>{a.pid});
  again->freeze();
  CHECK(cg->frozen());
  again->kill_all(SIGKILL);
  fx.wait(a.pid);
  again->remove();
  for (const auto& d : cg->dirs()) CHECK_FALSE(exists(d));
  CHECK_THROWS_AS(Cgroup::load({"/tmp/x"}), vsrv::Error);
}

TEST_CASE("v1: cpu, cpuset, pids and memory limits are written and read back") {
  cgtest::Fixture fx;
  auto cg = Cgroup::create(fx.top() + "/a");
  std::string cpu = dir_in(*cg, "/sys/fs/cgroup/cpu");
  std::string mem = dir_in(*cg, "/sys/fs/cgroup/memory");
  std::string pids = dir_in(*cg, "/sys/fs/cgroup/pids");
  Resources r;
  r.cpu.shares = 512;
  r.cpu.quota = 50000;
  r.cpu.period = 200000;
  r.cpu.cpus = "0";
  r.cpu.mems = "0";
  r.memory.limit = 64 << 20;
  r.memory.reservation = 32 << 20;
  r.memory.swap = 64 << 20;
  r.memory.swappiness = 10;
  r.pids.limit = 100;
  cg->apply(r);
  CHECK(read_trim(cpu + "/cpu.shares") == "512");
  CHECK(read_trim(cpu + "/cpu.cfs_quota_us") == "50000");
  CHECK(read_trim(cpu + "/cpu.cfs_period_us") == "200000");
  CHECK(read_trim(dir_in(*cg, "/sys/fs/cgroup/cpuset") + "/cpuset.cpus") == "0");
  CHECK(read_trim(mem + "/memory.limit_in_bytes") == std::to_string(64 << 20));
  CHECK(read_trim(mem + "/memory.soft_limit_in_bytes") == std::to_string(32 << 20));
  CHECK(read_trim(mem + "/memory.memsw.limit_in_bytes") == std::to_string(64 << 20));
  CHECK(read_trim(mem + "/memory.swappiness") == "10");
  CHECK(read_trim(pids + "/pids.max") == "100");

  // Growing memory past the old memory+swap limit works (memsw written first).
  Resources grow;
  grow.memory.limit = 128 << 20;
  grow.memory.swap = 256 << 20;
  grow.cpu.quota = -1;
  grow.pids.limit = -1;
  cg->apply(grow);
  CHECK(read_trim(mem + "/memory.limit_in_bytes") == std::to_string(128 << 20));
  CHECK(read_trim(mem + "/memory.memsw.limit_in_bytes") == std::to_string(256 << 20));
  CHECK(read_trim(cpu + "/cpu.cfs_quota_us") == "-1");
  CHECK(read_trim(pids + "/pids.max") == "max");

  // And shrinking again (memory first).
  Resources shrink;
  shrink.memory.limit = 16 << 20;
  shrink.memory.swap = 16 << 20;
  cg->apply(shrink);
  CHECK(read_trim(mem + "/memory.memsw.limit_in_bytes") == std::to_string(16 << 20));

  // A raw cgroup2 file on the hybrid cgroup2 directory.
  Resources uni;
  uni.unified["cgroup.max.descendants"] = "3";
  cg->apply(uni);
  CHECK(read_trim(dir_in(*cg, "/sys/fs/cgroup/unified") + "/cgroup.max.descendants") == "3");
  cg->remove();
}

TEST_CASE("v1: a limit that cannot be applied is an error naming the field") {
  cgtest::Fixture fx;
  auto cg = Cgroup::create(fx.top() + "/a");
  Resources bad_cpus;
  bad_cpus.cpu.cpus = "99-100";
  CHECK_THROWS_WITH(cg->apply(bad_cpus),
                    Catch::Contains("linux.resources.cpu.cpus") && Catch::Contains("cpuset.cpus"));
  Resources low_swap;
  low_swap.memory.limit = 64 << 20;
  low_swap.memory.swap = 32 << 20;
  CHECK_THROWS_WITH(cg->apply(low_swap), Catch::Contains("linux.resources.memory.swap"));
  Resources bad_quota;
  bad_quota.cpu.quota = 10;  // below the kernel's 1 ms minimum
  CHECK_THROWS_WITH(cg->apply(bad_quota), Catch::Contains("linux.resources.cpu.quota"));
  Resources no_file;
  no_file.unified["memory.max"] = "1";  // no controller on the hybrid cgroup2 directory
  CHECK_THROWS_WITH(cg->apply(no_file), Catch::Contains("linux.resources.unified.memory.max") &&
                                            Catch::Contains("missing"));
  Resources bad_key;
  bad_key.unified["../cgroup.procs"] = "1";
  CHECK_THROWS_AS(cg->apply(bad_key), vsrv::Error);
  cg->remove();
}

TEST_CASE("v1: pids limit 5 stops the fifth fork with EAGAIN") {
  cgtest::Fixture fx;
  auto cg = Cgroup::create(fx.top() + "/a");
  Resources r;
  r.pids.limit = 5;
  cg->apply(r);
  vsrv::Pipe go = vsrv::Pipe::make(), report = vsrv::Pipe::make();
  pid_t child = cgtest::fork_child();
  if (child == 0) {
    char c;
    if (::read(go.read.get(), &c, 1) != 1) _exit(2);
    int forks = 0, err = 0;
    for (; forks < 20; ++forks) {
      pid_t p = ::fork();
      if (p == 0) {
        ::pause();
        _exit(0);
      }
      if (p < 0) {
        err = errno;
        break;
      }
    }
    int msg[2] = {forks, err};
    if (::write(report.write.get(), msg, sizeof msg) != sizeof msg) _exit(3);
    ::pause();
    _exit(0);
  }
  fx.track(child);
  cg->add(child);
  REQUIRE(::write(go.write.get(), "g", 1) == 1);
  int msg[2] = {-1, -1};
  REQUIRE(vsrv::read_full(report.read.get(), msg, sizeof msg) == sizeof msg);
  CHECK(msg[0] == 4);  // the child plus 4 = 5 tasks
  CHECK(msg[1] == EAGAIN);
  auto pids = cg->pids();
  CHECK(pids.size() == 5);
  for (pid_t p : pids) fx.track(p);
  cg->kill_all(SIGKILL);
  CHECK(cg->pids().empty());
  int status = fx.wait(child);
  CHECK(WIFSIGNALED(status));
  for (pid_t p : pids)
    if (p != child) fx.wait(p);  // orphans come back to us (subreaper)
  cg->remove();
}

TEST_CASE("v1: a 32 MiB memory limit OOM-kills a child touching 64 MiB") {
  cgtest::Fixture fx;
  auto cg = Cgroup::create(fx.top() + "/a");
  Resources r;
  r.memory.limit = 32 << 20;
  r.memory.swap = 32 << 20;  // no swap on top
  cg->apply(r);
  vsrv::Pipe go = vsrv::Pipe::make();
  pid_t child = cgtest::fork_child();
  if (child == 0) {
    char c;
    if (::read(go.read.get(), &c, 1) != 1) _exit(2);
    size_t len = 64 << 20;
    void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) _exit(3);
    std::memset(p, 1, len);
    _exit(0);
  }
  fx.track(child);
  cg->add(child);
  REQUIRE(::write(go.write.get(), "g", 1) == 1);
  int status = fx.wait(child);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  std::string oom = read_trim(dir_in(*cg, "/sys/fs/cgroup/memory") + "/memory.oom_control");
  CHECK(oom.find("oom_kill 1") != std::string::npos);
  CHECK(::kill(::getpid(), 0) == 0);  // and we are fine
  cg->remove();
}
