// kill, stop and delete: signals reach what they should, stop escalates to
// KILL on time, and delete leaves no process, mount, cgroup or directory
// behind, even of a create that was killed halfway.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::kTemplate;
using vsrv::test::mountinfo;
using vsrv::test::now_ms;
using vsrv::test::one_error_line;
using vsrv::test::Result;
using vsrv::test::sh_spec;
using vsrv::test::sleep_ms;
using vsrv::test::VsrvHarness;

namespace {

const char* kSleeper = "process: {args: [sleep, '1000'], terminal: false}\n";

// This test process (and the vsrv it runs) in a mount namespace of its own,
// so that the mount table counts only what vsrv leaves, not what other
// tests on the machine mount meanwhile.
void private_mount_namespace() {
  static bool done = [] {
    REQUIRE(::unshare(CLONE_NEWNS) == 0);
    REQUIRE(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0);
    return true;
  }();
  (void)done;
}

std::vector<std::string> cgroup_dirs(const VsrvHarness& h, const std::string& id) {
  return h.state_file(id).at("cgroupDirs").get<std::vector<std::string>>();
}

bool log_has(const VsrvHarness& h, const std::string& id, const std::string& text,
             int timeout_ms = 3000) {
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    if (h.vsrv({"logs", id}).out.find(text) != std::string::npos) return true;
    if (now_ms() > deadline) return false;
    sleep_ms(10);
  }
}

int exit_status(const VsrvHarness& h, const std::string& id) {
  long long deadline = now_ms() + 3000;
  auto st = h.state(id);
  while (!st.contains("exitStatus") && now_ms() < deadline) {
    sleep_ms(10);
    st = h.state(id);
  }
  return st.value("exitStatus", -1);
}

size_t process_count(const VsrvHarness& h, const std::string& id) {
  Result r = h.vsrv({"ps", id});
  REQUIRE(r.status == 0);
  return vsrv::test::lines_of(r.out).size() - 1;  // minus the header
}

}  // namespace

TEST_CASE("kill sends TERM by default and signals given by name or number",
          "[lifecycle][cleanup]") {
  VsrvHarness h;
  std::string id = h.new_id("kill");
  h.run_detached(id, sh_spec("trap 'echo got-usr1' USR1; trap 'echo got-usr2' USR2; "
                             "trap 'echo got-term; exit 9' TERM; echo ready; "
                             "while :; do sleep 0.05; done"));
  REQUIRE(log_has(h, id, "ready"));
  REQUIRE(h.vsrv({"kill", id, "USR1"}).status == 0);
  CHECK(log_has(h, id, "got-usr1"));
  REQUIRE(h.vsrv({"kill", id, std::to_string(SIGUSR2)}).status == 0);
  CHECK(log_has(h, id, "got-usr2"));
  CHECK(h.status(id) == "running");
  REQUIRE(h.vsrv({"kill", id}).status == 0);
  CHECK(log_has(h, id, "got-term"));
  CHECK(h.wait_status(id, "stopped"));
  CHECK(exit_status(h, id) == 9);
  // A stopped server cannot be signalled; a bad signal is a usage error.
  Result stopped = h.vsrv({"kill", id});
  CHECK(stopped.status == 2);
  CHECK(one_error_line(stopped.err));
  Result bad = h.vsrv({"kill", id, "NOSUCHSIG"});
  CHECK(bad.status == 1);
  CHECK(one_error_line(bad.err));
}

TEST_CASE("kill --all signals every process of the server", "[lifecycle][cleanup]") {
  VsrvHarness h;
  std::string id = h.new_id("all");
  // pid 1 has no TERM handler, so TERM does not reach it; its children die.
  h.run_detached(id, sh_spec("sleep 1000 & sleep 1001 & echo ready; wait; echo children-gone; "
                             "exec sleep 1002"));
  REQUIRE(log_has(h, id, "ready"));
  CHECK(process_count(h, id) == 3);
  REQUIRE(h.vsrv({"kill", "--all", id, "TERM"}).status == 0);
  CHECK(log_has(h, id, "children-gone"));
  CHECK(h.status(id) == "running");
  long long deadline = now_ms() + 3000;
  while (process_count(h, id) != 1 && now_ms() < deadline) sleep_ms(10);
  CHECK(process_count(h, id) == 1);
  REQUIRE(h.vsrv({"kill", "--all", id, "KILL"}).status == 0);
  CHECK(h.wait_status(id, "stopped"));
  CHECK(process_count(h, id) == 0);
  CHECK(exit_status(h, id) == 137);
}

TEST_CASE("stop escalates to KILL after its timeout", "[lifecycle][cleanup]") {
  VsrvHarness h;
  // busybox sh as pid 1 ignores TERM.
  std::string id = h.new_id("stop");
  h.run_detached(id, sh_spec("sleep 1000 & while :; do sleep 1; done"));
  long long t0 = now_ms();
  Result r = h.vsrv({"stop", "-t", "1", id});
  long long took = now_ms() - t0;
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(took >= 950);
  CHECK(took < 3000);  // 1 s, then KILL; slack for a loaded machine
  CHECK(h.status(id) == "stopped");
  CHECK(exit_status(h, id) == 137);
  CHECK(process_count(h, id) == 0);

  // A server that honours TERM stops at once, with its own exit code.
  std::string soft = h.new_id("soft");
  h.run_detached(soft, sh_spec("trap 'exit 0' TERM; while :; do sleep 0.05; done"));
  t0 = now_ms();
  CHECK(h.vsrv({"stop", "-t", "10", soft}).status == 0);
  CHECK(now_ms() - t0 < 5000);  // well before the 10 s timeout
  CHECK(exit_status(h, soft) == 0);
  // Stopping a stopped server is fine.
  CHECK(h.vsrv({"stop", soft}).status == 0);
}

TEST_CASE("delete leaves no process, mount, cgroup or directory", "[lifecycle][cleanup]") {
  private_mount_namespace();
  VsrvHarness h;
  size_t mounts_before = mountinfo().size();

  std::string id = h.new_id("del");
  h.run_detached(id, sh_spec("sleep 1000 & exec sleep 1001"));
  REQUIRE(h.vsrv({"exec", "-d", id, "--", "sleep", "1002"}).status == 0);
  auto dirs = cgroup_dirs(h, id);
  REQUIRE(dirs.size() >= 1);
  CHECK_FALSE(h.traces(id, dirs).empty());  // the probe sees a live server
  Result running = h.vsrv({"delete", id});
  CHECK(running.status == 2);
  CHECK(one_error_line(running.err));
  CHECK(h.status(id) == "running");
  REQUIRE(h.vsrv({"stop", "-t", "1", id}).status == 0);
  Result d = h.vsrv({"delete", id});
  INFO(d.err);
  CHECK(d.status == 0);
  CHECK(h.traces(id, dirs) == std::vector<std::string>{});

  std::string forced = h.new_id("force");
  h.run_detached(forced, sh_spec("sleep 1000 & exec sleep 1001"));
  dirs = cgroup_dirs(h, forced);
  CHECK(h.vsrv({"delete", "--force", forced}).status == 0);
  CHECK(h.traces(forced, dirs) == std::vector<std::string>{});

  std::string created = h.new_id("created");
  REQUIRE(
      h.vsrv({"create", "--template", kTemplate, "-f", h.write_spec(kSleeper), created}).status ==
      0);
  dirs = cgroup_dirs(h, created);
  CHECK(h.vsrv({"delete", created}).status == 0);
  CHECK(h.traces(created, dirs) == std::vector<std::string>{});

  CHECK(mountinfo().size() == mounts_before);
  // delete of a deleted server: exit 2; with --force: nothing to do.
  CHECK(h.vsrv({"delete", id}).status == 2);
  CHECK(h.vsrv({"delete", "--force", id}).status == 0);
}

TEST_CASE("delete --force cleans a create killed halfway", "[lifecycle][cleanup]") {
  private_mount_namespace();
  VsrvHarness h;
  size_t mounts_before = mountinfo().size();
  std::string spec = h.write_spec(kSleeper);
  // Kills spread over the whole of a create, however long it takes here.
  std::string timed = h.new_id("timed");
  long long t0 = now_ms();
  REQUIRE(h.vsrv({"create", "--template", kTemplate, "-f", spec, timed}).status == 0);
  int create_ms = static_cast<int>(now_ms() - t0);
  REQUIRE(h.vsrv({"delete", timed}).status == 0);
  const int steps = 16;
  ::srandom(static_cast<unsigned>(now_ms()));
  int states_seen = 0;
  for (int step = 0; step <= steps; ++step) {
    // Evenly spread, with jitter so that runs hit different instants.
    int delay_ms =
        create_ms * step / steps + static_cast<int>(::random() % (create_ms / steps + 1));
    std::string id = h.new_id("half");
    auto argv = h.argv({"create", "--template", kTemplate, "-f", spec, id});
    pid_t pid = vsrv::test::spawn_quiet(argv);
    sleep_ms(delay_ms);
    ::kill(pid, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);

    std::vector<std::string> dirs;
    try {
      dirs = cgroup_dirs(h, id);
      ++states_seen;
    } catch (const std::exception&) {
      // killed before state.json was written
    }
    Result d = h.vsrv({"delete", "--force", id});
    INFO("killed after " << delay_ms << " ms; delete: " << d.err);
    CHECK(d.status == 0);
    CHECK(h.traces(id, dirs) == std::vector<std::string>{});
  }
  CHECK(states_seen > 0);  // some kills landed after the state was written
  CHECK(mountinfo().size() == mounts_before);
}

TEST_CASE("the parents a relative cgroupsPath made go with the last server in them",
          "[lifecycle][cleanup]") {
  VsrvHarness h;
  // Two levels of parents of our own, shared by two servers.
  std::string top = h.new_id("cgtop");
  std::string a = h.new_id("cga"), b = h.new_id("cgb");
  auto spec_for = [&](const std::string& id) {
    return h.write_spec(std::string(kSleeper) + "linux: {cgroupsPath: " + top + "/mid/" + id +
                        "}\n");
  };
  h.run_detached(a, kSleeper);  // a server at the default vsrv/ID, untouched by all this
  std::string plain = a;
  a = h.new_id("cga2");
  REQUIRE(h.vsrv({"run", "-d", "--template", kTemplate, "-f", spec_for(a), a}).status == 0);
  REQUIRE(h.vsrv({"run", "-d", "--template", kTemplate, "-f", spec_for(b), b}).status == 0);
  auto dirs_a = cgroup_dirs(h, a);
  REQUIRE_FALSE(dirs_a.empty());
  auto parent = [](const std::string& d) { return d.substr(0, d.rfind('/')); };
  for (const auto& d : dirs_a) REQUIRE(parent(d).substr(parent(d).rfind('/') + 1) == "mid");

  // b still lives in mid/: the parents stay.
  REQUIRE(h.vsrv({"delete", "--force", a}).status == 0);
  for (const auto& d : dirs_a) {
    CHECK_FALSE(::access(d.c_str(), F_OK) == 0);
    CHECK(::access(parent(d).c_str(), F_OK) == 0);
  }
  // The last one: mid/ and top/ go in every hierarchy, the caller's own
  // cgroup and the plain server's stay.
  REQUIRE(h.vsrv({"delete", "--force", b}).status == 0);
  for (const auto& d : dirs_a) {
    INFO(d);
    CHECK_FALSE(::access(parent(d).c_str(), F_OK) == 0);
    CHECK_FALSE(::access(parent(parent(d)).c_str(), F_OK) == 0);
    CHECK(::access(parent(parent(parent(d))).c_str(), F_OK) == 0);
  }
  for (const auto& d : cgroup_dirs(h, plain)) CHECK(::access(d.c_str(), F_OK) == 0);
  CHECK(h.status(plain) == "running");
}
