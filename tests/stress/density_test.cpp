// Density: N servers at once (VSRV_DENSITY_N, 200 by default; 1000 by
// hand), each with pid/mount/uts/ipc/net/cgroup namespaces, its own overlay
// rootfs over one template, a cgroup with memory and pids limits, running
// sleep, or busybox init for every tenth. All must run isolated (own
// namespaces, PID 1, own hostname), the host's mount table must not change,
// and after stop and delete nothing may be left: processes, mounts, cgroup
// dirs, overlay dirs, state dirs, namespaces. Then churn: VSRV_CHURN_N
// create/start/delete cycles (1000 by default, about 100 s here) with the
// same zero-leak check.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "harness_vsrv.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/base/proc.hpp"

using vsrv::test::now_ms;
using vsrv::test::Result;
using vsrv::test::VsrvHarness;

namespace {

const std::vector<std::string> kNamespaces = {"pid", "mnt", "uts", "ipc", "net", "cgroup"};

// sleep as the init ignores SIGTERM: it is stopped with SIGKILL right away.
const char* kSpec =
    "process: {args: [sleep, '1000000'], terminal: false}\n"
    "linux: {resources: {memory: {limit: 64Mi}, pids: {limit: 64}}}\n"
    "vsrv: {stopSignal: SIGKILL}\n";
// busybox init halts on SIGUSR1 (runs rcK, kills the rest, exits).
const char* kInitSpec =
    "process: {args: [/sbin/init], terminal: false}\n"
    "linux: {resources: {memory: {limit: 64Mi}, pids: {limit: 64}}}\n"
    "vsrv: {stopSignal: SIGUSR1}\n";
const char* kDiskSpec =
    "process: {args: [sleep, '1000000'], terminal: false}\n"
    "linux: {resources: {memory: {limit: 64Mi}, pids: {limit: 64}}}\n"
    "vsrv: {stopSignal: SIGKILL, disk: 16Mi}\n";

int env_count(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

std::vector<std::string> dir_names(const std::string& dir) {
  std::vector<std::string> out = vsrv::list_dir(dir);
  std::sort(out.begin(), out.end());
  return out;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

// What one server is made of on the host, recorded while it runs.
struct Recorded {
  pid_t pid = 0, monitor = 0;
  uint64_t pid_start = 0, monitor_start = 0;
  std::vector<std::string> cgroup_dirs;
  std::map<std::string, std::string> ns;  // type -> "pid:[4026532...]"
  uint64_t deleted_at = 0;                // clock ticks since boot
};

Recorded record(const VsrvHarness& h, const std::string& id) {
  nlohmann::json st = h.state_file(id);
  Recorded r;
  r.pid = st.at("pid");
  r.pid_start = st.at("pidStart");
  r.monitor = st.at("monitorPid");
  r.monitor_start = st.at("monitorStart");
  r.cgroup_dirs = st.at("cgroupDirs").get<std::vector<std::string>>();
  for (const auto& t : kNamespaces) r.ns[t] = vsrv::test::ns_link(r.pid, t);
  return r;
}

// Clock ticks since boot, as /proc/PID/stat counts a start time.
uint64_t ticks_now() {
  double up = std::stod(vsrv::read_file("/proc/uptime"));
  return static_cast<uint64_t>(up * static_cast<double>(::sysconf(_SC_CLK_TCK)));
}

// The parent pid of a process, 0 when it is gone.
pid_t parent_of(pid_t pid) {
  auto stat = vsrv::try_read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return 0;
  auto close = stat->rfind(')');
  if (close == std::string::npos) return 0;
  auto fields = vsrv::split(stat->substr(close + 2), ' ');  // state ppid ...
  return fields.size() > 1 ? std::atoi(fields[1].c_str()) : 0;
}

// Processes that could hold what vsrv made for our servers: this test,
// every process running this build's programs (vsrv, vsrv-monitor, wherever
// they were reparented) and the descendants of both (vsrv commands, the
// servers' processes). Other processes on the host — other people's tests —
// may hold new namespaces that reuse the inode numbers ours had.
bool ours(pid_t pid) {
  static const std::string bin_dir = [] {
    std::string b = VSRV_BINARY;
    return b.substr(0, b.rfind('/') + 1);
  }();
  for (int depth = 0; pid > 1 && depth < 64; ++depth) {
    if (pid == ::getpid()) return true;
    char buf[4096];
    ssize_t n = ::readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), buf, sizeof buf);
    if (n > 0 && std::string(buf, static_cast<size_t>(n)).rfind(bin_dir, 0) == 0) return true;
    pid = parent_of(pid);
  }
  return false;
}

// Every trace of the recorded servers left on the host. A namespace counts
// as leaked when one of our processes (above) that already existed when its
// server was deleted still holds it (open fd or membership): a younger
// holder has a new namespace that merely reuses the freed inode number.
std::vector<std::string> leaks(const VsrvHarness& h, const std::vector<Recorded>& servers,
                               const std::vector<std::string>& mountinfo_before) {
  std::vector<std::string> out;
  std::map<std::string, uint64_t> ns_links;  // link -> when its server was deleted
  for (const auto& s : servers) {
    if (vsrv::process_alive(s.pid, s.pid_start)) out.push_back("init " + std::to_string(s.pid));
    if (s.monitor && vsrv::process_alive(s.monitor, s.monitor_start))
      out.push_back("monitor " + std::to_string(s.monitor));
    for (const auto& d : s.cgroup_dirs)
      if (exists(d)) out.push_back("cgroup " + d);
    for (const auto& [t, link] : s.ns) ns_links[link] = s.deleted_at;
  }
  for (const auto& n : dir_names(h.root()))
    if (n[0] != '.') out.push_back("state dir " + n);
  for (const auto& n : dir_names(h.data() + "/servers")) out.push_back("data dir " + n);
  if (vsrv::test::mountinfo() != mountinfo_before) out.push_back("the host's mount table changed");
  for (const auto& p : dir_names("/proc")) {
    if (p.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = std::stoi(p);
    auto start = vsrv::process_start_time(pid);
    if (!start || !ours(pid)) continue;
    std::vector<std::string> links;
    for (const auto& t : kNamespaces) links.push_back(vsrv::test::ns_link(pid, t));
    for (const auto& fd : dir_names("/proc/" + p + "/fd")) {
      char buf[128];
      std::string path = "/proc/" + p + "/fd/" + fd;
      ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
      if (n > 0) links.emplace_back(buf, static_cast<size_t>(n));
    }
    for (const auto& l : links) {
      auto it = ns_links.find(l);
      if (it != ns_links.end() && *start + 1 < it->second)
        out.push_back("namespace " + l + " held by process " + p);
    }
  }
  return out;
}

std::string run_d(const VsrvHarness& h, const std::string& spec, const std::string& id) {
  Result r = h.vsrv({"run", "-d", "--template", vsrv::test::kTemplate, "-f", spec, id});
  INFO("run -d " << id << ": " << r.err);
  REQUIRE(r.status == 0);
  return id;
}

}  // namespace

TEST_CASE("N isolated servers at once, and nothing left after", "[stress][density]") {
  const int n = env_count("VSRV_DENSITY_N", 200);
  VsrvHarness h;
  const std::string spec = h.write_spec(kSpec);
  const std::string init_spec = h.write_spec(kInitSpec);
  auto is_init = [](size_t i) { return i % 10 == 0; };
  const auto mountinfo_before = vsrv::test::mountinfo();
  // The first server pays for cold caches; it is not part of the figures.
  std::string warm = run_d(h, spec, h.new_id("warm"));
  REQUIRE(h.vsrv({"delete", "--force", warm}).status == 0);

  std::vector<std::string> ids;
  std::vector<double> start_ms;
  long long t0 = now_ms();
  for (int i = 0; i < n; ++i) {
    long long t = now_ms();
    ids.push_back(run_d(h, is_init(ids.size()) ? init_spec : spec, h.new_id("d")));
    start_ms.push_back(static_cast<double>(now_ms() - t));
  }
  long long total_ms = now_ms() - t0;
  const size_t decile = std::max<size_t>(1, start_ms.size() / 10);
  std::vector<double> first(start_ms.begin(), start_ms.begin() + decile);
  std::vector<double> last(start_ms.end() - decile, start_ms.end());
  std::printf(
      "density N=%d: total %lld ms, per server median %.1f ms, p90 %.1f ms; first decile median "
      "%.1f ms, last decile median %.1f ms\n",
      n, total_ms, percentile(start_ms, 0.5), percentile(start_ms, 0.9), percentile(first, 0.5),
      percentile(last, 0.5));

  SECTION("every server runs, isolated") {
    long long tl = now_ms();
    Result list = h.vsrv({"list", "--format", "json"});
    long long list_ms = now_ms() - tl;
    REQUIRE(list.status == 0);
    auto all = nlohmann::json::parse(list.out);
    REQUIRE(all.size() == ids.size());
    for (const auto& s : all) CHECK(s.at("status") == "running");
    std::printf("density N=%d: list %lld ms\n", n, list_ms);

    std::vector<Recorded> servers;
    for (const auto& id : ids) servers.push_back(record(h, id));
    // Own namespaces of every kind, none shared with the host or another server.
    for (const auto& t : kNamespaces) {
      std::set<std::string> seen;
      const std::string host = vsrv::test::ns_link(::getpid(), t);
      for (const auto& s : servers) {
        INFO(t << " of " << s.pid);
        CHECK(s.ns.at(t) != host);
        CHECK(seen.insert(s.ns.at(t)).second);
      }
    }
    // Each init is PID 1 of its own pid namespace.
    int pid1 = 0;
    for (const auto& s : servers) {
      std::string status = vsrv::read_file("/proc/" + std::to_string(s.pid) + "/status");
      if (status.find("NSpid:\t" + std::to_string(s.pid) + "\t1\n") != std::string::npos) ++pid1;
    }
    CHECK(pid1 == n);
    // Its cgroup carries the limits (v1 or v2 files, whichever it has).
    int memory_limited = 0, pids_limited = 0;
    for (const auto& s : servers) {
      bool memory = false, pids = false;
      for (const auto& d : s.cgroup_dirs) {
        for (const char* f : {"/memory.limit_in_bytes", "/memory.max"}) {
          if (auto v = vsrv::try_read_file(d + f)) {
            CHECK(vsrv::trim(*v) == "67108864");
            memory = true;
          }
        }
        if (auto v = vsrv::try_read_file(d + "/pids.max")) {
          CHECK(vsrv::trim(*v) == "64");
          pids = true;
        }
      }
      memory_limited += memory;
      pids_limited += pids;
    }
    CHECK(memory_limited == n);
    CHECK(pids_limited == n);
    // A sample, by exec: its own hostname and PID 1 (busybox init or sleep).
    std::set<std::string> hostnames;
    for (size_t k = 0; k < ids.size(); k += std::max<size_t>(1, ids.size() / 10)) {
      for (size_t i = k; i < std::min(k + 2, ids.size()); ++i) {
        Result r = h.vsrv({"exec", ids[i], "--", "sh", "-c", "hostname; cat /proc/1/comm"});
        INFO(r.err);
        CHECK(r.status == 0);
        CHECK(r.out == ids[i] + (is_init(i) ? "\ninit\n" : "\nsleep\n"));
        hostnames.insert(r.out);
      }
    }
    CHECK(hostnames.size() >= std::min<size_t>(20, ids.size()));
    // Server mounts never reach the host.
    CHECK(vsrv::test::mountinfo() == mountinfo_before);

    // The busybox inits halt in about 3 s each: ask them all first, so they
    // halt side by side; stop then finds them halting or gone.
    for (size_t i = 0; i < ids.size(); ++i)
      if (is_init(i)) REQUIRE(h.vsrv({"kill", ids[i], "SIGUSR1"}).status == 0);
    std::vector<double> stop_ms, delete_ms;
    for (size_t i = 0; i < ids.size(); ++i) {
      long long t = now_ms();
      REQUIRE(h.vsrv({"stop", ids[i]}).status == 0);
      stop_ms.push_back(static_cast<double>(now_ms() - t));
      // busybox init halted by itself (exit 0); sleep was killed.
      CHECK(h.state(ids[i]).at("exitStatus") == (is_init(i) ? 0 : 128 + SIGKILL));
      t = now_ms();
      REQUIRE(h.vsrv({"delete", ids[i]}).status == 0);
      delete_ms.push_back(static_cast<double>(now_ms() - t));
      servers[i].deleted_at = ticks_now();
    }
    std::printf("density N=%d: stop median %.1f ms, delete median %.1f ms per server\n", n,
                percentile(stop_ms, 0.5), percentile(delete_ms, 0.5));
    std::vector<std::string> left = leaks(h, servers, mountinfo_before);
    INFO(left.size() << " leaks, first: " << (left.empty() ? "" : left.front()));
    CHECK(left.empty());
  }
}

TEST_CASE("create/start/delete churn leaves nothing", "[stress][churn]") {
  const int cycles = env_count("VSRV_CHURN_N", 1000);
  VsrvHarness h;
  const std::string spec = h.write_spec(kSpec);
  const std::string disk_spec = h.write_spec(kDiskSpec);
  const auto mountinfo_before = vsrv::test::mountinfo();
  std::vector<Recorded> servers;
  std::vector<double> cycle_ms;
  // The leak check must be able to fail: we keep the first server's network
  // namespace open past its delete, and expect to be caught holding it.
  vsrv::UniqueFd held;
  for (int i = 0; i < cycles; ++i) {
    std::string id = h.new_id("c");
    long long t = now_ms();
    // Every tenth cycle with its own disk: a loop device comes and goes too.
    Result c = h.vsrv(
        {"create", "--template", vsrv::test::kTemplate, "-f", i % 10 == 9 ? disk_spec : spec, id});
    INFO("create " << id << ": " << c.err);
    REQUIRE(c.status == 0);
    REQUIRE(h.vsrv({"start", id}).status == 0);
    servers.push_back(record(h, id));
    if (i == 0) {
      held.reset(::open(("/proc/" + std::to_string(servers.back().pid) + "/ns/net").c_str(),
                        O_RDONLY | O_CLOEXEC));
    }
    REQUIRE(h.vsrv({"delete", "--force", id}).status == 0);
    servers.back().deleted_at = ticks_now();
    cycle_ms.push_back(static_cast<double>(now_ms() - t));
  }
  if (cycles > 0) {
    REQUIRE(held);
    std::vector<std::string> caught = leaks(h, servers, mountinfo_before);
    const std::string want = "namespace " + servers.front().ns.at("net") + " held by process " +
                             std::to_string(::getpid());
    CHECK(caught == std::vector<std::string>{want});
    held.reset();
  }
  std::printf("churn: %d cycles in %.1f s, median %.1f ms, p90 %.1f ms per create+start+delete\n",
              cycles, std::accumulate(cycle_ms.begin(), cycle_ms.end(), 0.0) / 1000.0,
              percentile(cycle_ms, 0.5), percentile(cycle_ms, 0.9));
  std::vector<std::string> left = leaks(h, servers, mountinfo_before);
  INFO(left.size() << " leaks, first: " << (left.empty() ? "" : left.front()));
  CHECK(left.empty());
  // No loop device is left on one of the disks.
  for (const auto& n : dir_names("/sys/block")) {
    auto f = vsrv::try_read_file("/sys/block/" + n + "/loop/backing_file");
    if (f) CHECK(f->find(h.data()) == std::string::npos);
  }
}
