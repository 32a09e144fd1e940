// The basic lifecycle: create and start as two steps (nothing of the user's
// process runs before start), run -d with its log and recorded exit status,
// and states derived honestly (a reused pid is not our server).
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/base/proc.hpp"

using vsrv::test::kTemplate;
using vsrv::test::now_ms;
using vsrv::test::one_error_line;
using vsrv::test::Result;
using vsrv::test::sh_spec;
using vsrv::test::sleep_ms;
using vsrv::test::VsrvHarness;

namespace {

bool exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

nlohmann::json list_entry(const VsrvHarness& h, const std::string& id) {
  Result r = h.vsrv({"list", "--format", "json"});
  REQUIRE(r.status == 0);
  for (const auto& e : nlohmann::json::parse(r.out))
    if (e.at("id") == id) return e;
  FAIL("server " << id << " is not in list --format json: " << r.out);
  return {};
}

// `state` once the monitor has recorded the exit status (it reaps the init
// just after the init is seen gone).
nlohmann::json state_with_exit(const VsrvHarness& h, const std::string& id) {
  long long deadline = now_ms() + 3000;
  auto st = h.state(id);
  while (!st.contains("exitStatus") && now_ms() < deadline) {
    sleep_ms(10);
    st = h.state(id);
  }
  return st;
}

std::string link_of(const std::string& path) {
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

std::vector<std::string> fd_targets(int pid) {
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  std::vector<std::string> out;
  for (const std::string& fd : vsrv::list_dir(dir)) out.push_back(link_of(dir + "/" + fd));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("nothing of the user's process runs before start", "[lifecycle][basic]") {
  VsrvHarness h;
  std::string host_dir = h.scratch() + "/shared";
  vsrv::make_dirs(host_dir);
  std::string id = h.new_id("split");
  std::string spec = h.write_spec(
      sh_spec("echo ran > /mnt/host/ran; echo ran-log; exec sleep 1000",
              "mounts:\n"
              "  - {destination: /proc, type: proc, source: proc}\n"
              "  - {destination: /dev, type: tmpfs, source: tmpfs, options: [nosuid, mode=755]}\n"
              "  - {destination: /mnt/host, type: bind, source: " +
                  host_dir + ", options: [rbind, rw]}\n"));
  Result c = h.vsrv({"create", "--template", kTemplate, "-f", spec, id});
  INFO(c.err);
  REQUIRE(c.status == 0);
  auto st = h.state(id);
  CHECK(st.at("status") == "created");
  int pid = st.at("pid").get<int>();
  CHECK(pid > 0);
  // The init exists (it waits for start) but the user's process has not run.
  CHECK(vsrv::process_start_time(pid).has_value());
  sleep_ms(200);
  CHECK_FALSE(exists(host_dir + "/ran"));
  CHECK(h.vsrv({"logs", id}).out.empty());
  CHECK(h.status(id) == "created");

  Result s = h.vsrv({"start", id});
  INFO(s.err);
  REQUIRE(s.status == 0);
  CHECK(h.status(id) == "running");
  CHECK(h.state(id).at("pid") == pid);  // the same process, now the user's
  long long deadline = now_ms() + 3000;
  while (!exists(host_dir + "/ran") && now_ms() < deadline) sleep_ms(5);
  CHECK(vsrv::read_file(host_dir + "/ran") == "ran\n");
  deadline = now_ms() + 3000;
  while (h.vsrv({"logs", id}).out.empty() && now_ms() < deadline) sleep_ms(5);
  CHECK(h.vsrv({"logs", id}).out == "ran-log\n");

  // start again: wrong state.
  Result again = h.vsrv({"start", id});
  CHECK(again.status == 2);
  CHECK(one_error_line(again.err));
  CHECK(h.status(id) == "running");
}

TEST_CASE("run -d keeps a log and records the exit status", "[lifecycle][basic]") {
  VsrvHarness h;
  std::string id = h.new_id("logs");
  long long t0 = now_ms();
  h.run_detached(id, sh_spec("echo one; echo err-one >&2; sleep 0.5; echo two; exit 4"));
  // logs -f follows until the server stops.
  Result f = h.vsrv({"logs", "-f", id}, "", 10);
  long long took = now_ms() - t0;
  INFO(f.err);
  CHECK(f.status == 0);
  CHECK(f.out == "one\nerr-one\ntwo\n");
  CHECK(took >= 450);
  CHECK(took < 5000);

  auto st = state_with_exit(h, id);
  CHECK(st.at("status") == "stopped");
  CHECK(st.at("exitStatus") == 4);
  CHECK(st.at("pid") == 0);
  auto entry = list_entry(h, id);
  CHECK(entry.at("status") == "stopped");
  CHECK(entry.at("exitStatus") == 4);
  // The log outlives the process.
  CHECK(h.vsrv({"logs", id}).out == "one\nerr-one\ntwo\n");

  // Killed by a signal: 128 + signal (pid 1 cannot kill itself: from outside).
  std::string killed = h.new_id("sig");
  h.run_detached(killed, "process: {args: [sleep, '1000'], terminal: false}\n");
  REQUIRE(h.vsrv({"kill", killed, "9"}).status == 0);
  REQUIRE(h.wait_status(killed, "stopped"));
  CHECK(state_with_exit(h, killed).at("exitStatus") == 137);
}

TEST_CASE("run attached returns the exit code and records it", "[lifecycle][basic]") {
  VsrvHarness h;
  std::string id = h.new_id("att");
  Result r = h.vsrv({"run", "--template", kTemplate, "-f",
                     h.write_spec(sh_spec("read x; echo got:$x; echo e >&2; exit 9")), id},
                    "abc\n");
  CHECK(r.status == 9);
  CHECK(r.out == "got:abc\n");
  CHECK(r.err == "e\n");
  CHECK(h.state(id).at("exitStatus") == 9);
  CHECK(list_entry(h, id).at("status") == "stopped");

  // --rm: nothing is left afterwards.
  std::string rm = h.new_id("rm");
  Result r2 =
      h.vsrv({"run", "--rm", "--template", kTemplate, "-f", h.write_spec(sh_spec("exit 0")), rm});
  CHECK(r2.status == 0);
  CHECK(h.traces(rm).empty());
}

TEST_CASE("a recorded pid that now belongs to another process is not the server",
          "[lifecycle][basic]") {
  VsrvHarness h;
  std::string id = h.new_id("reuse");
  h.run_detached(id, sh_spec("exit 0"));
  REQUIRE(h.wait_status(id, "stopped"));

  // Pretend the init's pid was reused by this test process.
  std::string path = h.root() + "/" + id + "/state.json";
  std::string original = vsrv::read_file(path);
  struct Restore {
    std::string path, text;
    ~Restore() {
      // Back to the truth before the fixture's delete --force (it must not
      // take this process for the server's init).
      if (exists(path)) vsrv::write_file_atomic(path, text, 0600);
    }
  } restore{path, original};
  auto st = nlohmann::json::parse(original);
  uint64_t my_start = vsrv::process_start_time(::getpid()).value();
  st["status"] = "running";
  st["pid"] = ::getpid();

  // With our true start time it would be running: the probe can tell.
  st["pidStart"] = my_start;
  vsrv::write_file_atomic(path, st.dump(), 0600);
  CHECK(h.status(id) == "running");

  st["pidStart"] = my_start + 1;
  vsrv::write_file_atomic(path, st.dump(), 0600);
  CHECK(h.status(id) == "stopped");
  CHECK(h.state(id).at("pid") == 0);
  // Nothing signals the unrelated process, and exec does not enter it.
  Result k = h.vsrv({"kill", id, "KILL"});
  CHECK(k.status == 2);
  CHECK(one_error_line(k.err));
  Result e = h.vsrv({"exec", id, "--", "true"});
  CHECK(e.status == 2);
  Result d = h.vsrv({"delete", "--force", id});
  CHECK(d.status == 0);
  CHECK(h.traces(id).empty());
  // Still alive to check this.
  CHECK(vsrv::process_alive(::getpid(), my_start));
}

TEST_CASE("a detached server's monitor is the small static program, holding only its fds",
          "[lifecycle][basic][monitor]") {
  VsrvHarness h;
  std::string id = h.new_id("mon");
  h.run_detached(id, sh_spec("echo up; exec sleep 1000"));
  auto st = h.state_file(id);
  int monitor = st.at("monitorPid").get<int>();
  int init = h.state(id).at("pid").get<int>();
  REQUIRE(monitor > 0);
  std::string exe = link_of("/proc/" + std::to_string(monitor) + "/exe");
  CHECK(exe.substr(exe.rfind('/') + 1) == "vsrv-monitor");
  // The init is the monitor's child (it reaps it).
  auto stat = vsrv::read_file("/proc/" + std::to_string(init) + "/stat");
  auto fields = vsrv::split(stat.substr(stat.rfind(')') + 2), ' ');
  CHECK(std::stoi(fields.at(1)) == monitor);
  // stdio on /dev/null, the init's pidfd, its output pipe and the log: nothing else.
  std::vector<std::string> fds = fd_targets(monitor);
  std::string all;
  for (const auto& f : fds) all += f + " ";
  INFO("monitor fds: " << all);
  REQUIRE(fds.size() == 6);
  CHECK(std::count(fds.begin(), fds.end(), "/dev/null") == 3);
  CHECK(std::count(fds.begin(), fds.end(), "anon_inode:[pidfd]") == 1);
  CHECK(std::count_if(fds.begin(), fds.end(),
                      [](const std::string& f) { return f.rfind("pipe:", 0) == 0; }) == 1);
  CHECK(std::count_if(fds.begin(), fds.end(), [](const std::string& f) {
          return f.size() > 12 && f.substr(f.size() - 12) == "/console.log";
        }) == 1);
  // It still does its job: the output reaches the log, the exit is recorded.
  long long deadline = now_ms() + 3000;
  while (h.vsrv({"logs", id}).out != "up\n" && now_ms() < deadline) sleep_ms(10);
  CHECK(h.vsrv({"logs", id}).out == "up\n");
  REQUIRE(h.vsrv({"kill", id, "KILL"}).status == 0);
  CHECK(state_with_exit(h, id).value("exitStatus", -1) == 137);
  // The monitor exits then (a zombie until whoever inherited it reaps it).
  auto proc_state = [&] {
    auto text = vsrv::try_read_file("/proc/" + std::to_string(monitor) + "/stat");
    return text ? text->at(text->rfind(')') + 2) : 'X';
  };
  deadline = now_ms() + 3000;
  while (proc_state() != 'Z' && proc_state() != 'X' && now_ms() < deadline) sleep_ms(10);
  CHECK((proc_state() == 'Z' || proc_state() == 'X'));
}
