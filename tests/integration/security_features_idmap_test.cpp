// vsrv.idmap: auto. A server gets a private range of 65536 host ids from
// the pool (--idmap-pool), recorded in its state, never shared with another
// live server, freed by delete (also after a killed create); its root is
// root inside and an unprivileged uid on the host; the template below it is
// shared through an idmapped mount and never chowned.
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::kTemplate;
using vsrv::test::mountinfo;
using vsrv::test::one_error_line;
using vsrv::test::Result;
using vsrv::test::sh_spec;
using vsrv::test::sleep_ms;
using vsrv::test::VsrvHarness;

namespace {

constexpr uint32_t kRange = 65536;
const std::string kIdmap = "vsrv: {idmap: auto}\n";

// Mounts vsrv made in its caller's namespace would show here, and nothing
// other processes of the host mount does.
void private_mount_namespace() {
  static bool done = [] {
    REQUIRE(::unshare(CLONE_NEWNS) == 0);
    REQUIRE(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0);
    return true;
  }();
  (void)done;
}

// A pool of this test process's own: tests in other processes use others.
struct Pool {
  uint32_t first;
  uint32_t ranges;
  explicit Pool(uint32_t n)
      : first(1200000000u + static_cast<uint32_t>(::getpid() % 512) * 8u * kRange), ranges(n) {}
  std::string arg() const { return std::to_string(first) + ":" + std::to_string(ranges * kRange); }
  uint32_t base(uint32_t i) const { return first + i * kRange; }
};

// vsrv --idmap-pool POOL args...
Result with_pool(const VsrvHarness& h, const Pool& pool, std::vector<std::string> args) {
  args.insert(args.begin(), {"--idmap-pool", pool.arg()});
  return h.vsrv(args);
}

void run_detached(VsrvHarness& h, const Pool& pool, const std::string& id,
                  const std::string& yaml) {
  Result r =
      with_pool(h, pool, {"run", "-d", "--template", kTemplate, "-f", h.write_spec(yaml), id});
  INFO("run -d " << id << ": " << r.err);
  REQUIRE(r.status == 0);
}

std::string owner(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) < 0) return "missing";
  return std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid);
}

std::string owner_is(uint32_t id) {
  return std::to_string(id) + ":" + std::to_string(id);
}

uint32_t recorded_base(const VsrvHarness& h, const std::string& id) {
  return h.state_file(id).at("idmap").at("hostID").get<uint32_t>();
}

// Held ranges: the numeric files of DATA/idmap, with their holders.
std::map<uint32_t, std::string> held(const VsrvHarness& h) {
  std::map<uint32_t, std::string> out;
  DIR* d = ::opendir((h.data() + "/idmap").c_str());
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos) continue;
    out[static_cast<uint32_t>(std::stoul(n))] =
        vsrv::trim(vsrv::read_file(h.data() + "/idmap/" + n));
  }
  ::closedir(d);
  return out;
}

// "0 BASE 65536" from a uid_map/gid_map line.
std::string words(const std::string& line) {
  std::istringstream in(line);
  std::string out, w;
  while (in >> w) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string value_of(const std::string& out, const std::string& key) {
  for (const auto& line : vsrv::test::lines_of(out))
    if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
  return "";
}

// Owner, mode and ctime of everything below dir (a chown changes ctime).
std::map<std::string, std::string> tree_attrs(const std::string& dir) {
  std::map<std::string, std::string> out;
  std::vector<std::string> todo{""};
  while (!todo.empty()) {
    std::string rel = todo.back();
    todo.pop_back();
    struct stat st;
    REQUIRE(::lstat((dir + rel).c_str(), &st) == 0);
    out[rel.empty() ? "/" : rel] = std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid) +
                                   " " + std::to_string(st.st_mode) + " " +
                                   std::to_string(st.st_ctim.tv_sec) + "." +
                                   std::to_string(st.st_ctim.tv_nsec);
    if (!S_ISDIR(st.st_mode)) continue;
    DIR* d = ::opendir((dir + rel).c_str());
    REQUIRE(d);
    while (auto* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") todo.push_back(rel + "/" + n);
    }
    ::closedir(d);
  }
  return out;
}

// Nothing of the server is left, once what a killed vsrv started has died
// (a process it forked dies with it, a moment later).
bool gone(const VsrvHarness& h, const std::string& id) {
  std::vector<std::string> left;
  for (int i = 0; i < 100; ++i) {
    left = h.traces(id);
    if (left.empty()) return true;
    sleep_ms(20);
  }
  for (const auto& t : left) UNSCOPED_INFO(t);
  return false;
}

// Uid line of /proc/PID/status: "real effective saved fs".
std::string host_uids(pid_t pid) {
  auto status = vsrv::try_read_file("/proc/" + std::to_string(pid) + "/status").value_or("");
  for (const auto& line : vsrv::test::lines_of(status))
    if (line.rfind("Uid:", 0) == 0) return words(line.substr(4));
  return "";
}

// What a server's root tries on the host's files bound into it.
const char* kProbe =
    "echo uid=$(id -u); echo gid=$(id -g); "
    "echo uid_map=$(cat /proc/self/uid_map); echo gid_map=$(cat /proc/self/gid_map); "
    "echo template=$(stat -c %u:%g /bin/busybox); "
    "echo made > /shared/from-server; echo x > /in-rootfs; touch /bin/busybox; "
    "(echo pwned >> /hostfile) 2>/dev/null && echo hostfile=written || echo hostfile=denied; "
    "cat /secret >/dev/null 2>&1 && echo secret=read || echo secret=denied; "
    "chown 0:0 /shared/host-owned 2>/dev/null && echo chown=done || echo chown=denied";

std::string probe_spec(const std::string& dir, const std::string& extra) {
  return sh_spec(kProbe, extra) +
         "mounts:\n"
         "  - {destination: /proc, type: proc, source: proc}\n"
         "  - {destination: /dev, type: tmpfs, source: tmpfs, options: [nosuid, mode=755]}\n"
         "  - {destination: /shared, type: bind, source: " +
         dir +
         "/shared, options: [rbind]}\n"
         "  - {destination: /hostfile, type: bind, source: " +
         dir +
         "/hostfile, options: [rbind]}\n"
         "  - {destination: /secret, type: bind, source: " +
         dir + "/secret, options: [rbind]}\n";
}

// Host files for kProbe under a new dir of scratch: /shared (0777, with a
// host-root file), a root-owned 0644 /hostfile and 0600 /secret.
std::string probe_dir(const VsrvHarness& h, const std::string& name) {
  // The server's root (an unprivileged uid on the host) walks to them.
  REQUIRE(::chmod(h.scratch().c_str(), 0755) == 0);
  std::string dir = h.scratch() + "/" + name;
  vsrv::make_dirs(dir + "/shared", 0755);
  REQUIRE(::chmod((dir + "/shared").c_str(), 0777) == 0);
  vsrv::write_file_atomic(dir + "/shared/host-owned", "host\n", 0644);
  REQUIRE(::chown((dir + "/shared/host-owned").c_str(), 1234, 1234) == 0);
  vsrv::write_file_atomic(dir + "/hostfile", "host\n", 0644);
  vsrv::write_file_atomic(dir + "/secret", "secret\n", 0600);
  return dir;
}

}  // namespace

TEST_CASE("root of an idmap server is root inside and a private uid on the host",
          "[security][idmap]") {
  private_mount_namespace();
  VsrvHarness h;
  Pool pool(4);
  const auto mounts_before = mountinfo();
  const std::string tmpl = h.data() + "/templates/" + kTemplate + "/rootfs";
  const auto template_before = tree_attrs(tmpl);

  // Control: without idmap the same probe is host root on the bound files,
  // so each denial below is the range's doing.
  std::string plain_dir = probe_dir(h, "plain");
  Result plain = with_pool(h, pool,
                           {"run", "--rm", "--template", kTemplate, "-f",
                            h.write_spec(probe_spec(plain_dir, "")), h.new_id("plain")});
  INFO(plain.out << plain.err);
  REQUIRE(plain.status == 0);
  CHECK(value_of(plain.out, "hostfile") == "written");
  CHECK(value_of(plain.out, "secret") == "read");
  CHECK(value_of(plain.out, "chown") == "done");
  CHECK(owner(plain_dir + "/shared/from-server") == "0:0");

  std::string dir = probe_dir(h, "idmap");
  std::string id = h.new_id("idm");
  Result r = with_pool(
      h, pool, {"run", "--template", kTemplate, "-f", h.write_spec(probe_spec(dir, kIdmap)), id});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  const uint32_t base = recorded_base(h, id);
  CHECK(base == pool.base(0));  // a fresh pool hands out its first range
  CHECK(h.state_file(id).at("idmap").at("size") == kRange);
  CHECK(held(h) == std::map<uint32_t, std::string>{{base, id}});

  // Inside: root, mapped to the range, the template's files root's.
  CHECK(value_of(r.out, "uid") == "0");
  CHECK(value_of(r.out, "gid") == "0");
  CHECK(words(value_of(r.out, "uid_map")) == "0 " + std::to_string(base) + " 65536");
  CHECK(words(value_of(r.out, "gid_map")) == "0 " + std::to_string(base) + " 65536");
  CHECK(value_of(r.out, "template") == "0:0");
  // On the host: what it made is the range's, host root's files are out of reach.
  CHECK(owner(dir + "/shared/from-server") == owner_is(base));
  CHECK(value_of(r.out, "hostfile") == "denied");
  CHECK(vsrv::read_file(dir + "/hostfile") == "host\n");
  CHECK(value_of(r.out, "secret") == "denied");
  CHECK(value_of(r.out, "chown") == "denied");
  CHECK(owner(dir + "/shared/host-owned") == "1234:1234");
  // Its own layer holds its files, as the range.
  const std::string upper = h.data() + "/servers/" + id + "/upper";
  CHECK(owner(upper) == owner_is(base));
  CHECK(owner(upper + "/in-rootfs") == owner_is(base));
  CHECK(owner(upper + "/bin/busybox") == owner_is(base));  // copied up by touch
  CHECK(owner(upper + "/etc/hostname") == owner_is(base));
  // The shared template: not one owner, mode or ctime changed.
  CHECK(owner(tmpl + "/bin/busybox") == "0:0");
  CHECK(tree_attrs(tmpl) == template_before);

  Result d = h.vsrv({"delete", id});
  CHECK(d.status == 0);
  CHECK(held(h).empty());
  CHECK(h.traces(id).empty());
  CHECK(mountinfo() == mounts_before);
}

TEST_CASE("live idmap servers hold disjoint ranges; a full pool is refused, delete frees",
          "[security][idmap]") {
  private_mount_namespace();
  VsrvHarness h;
  Pool pool(2);
  const auto mounts_before = mountinfo();
  const std::string sleeper = sh_spec("exec sleep 1000", kIdmap);
  std::string a = h.new_id("a"), b = h.new_id("b"), c = h.new_id("c");
  run_detached(h, pool, a, sleeper);
  run_detached(h, pool, b, sleeper);
  const uint32_t base_a = recorded_base(h, a), base_b = recorded_base(h, b);
  CHECK(std::set<uint32_t>{base_a, base_b} == std::set<uint32_t>{pool.base(0), pool.base(1)});
  CHECK(held(h) == std::map<uint32_t, std::string>{{base_a, a}, {base_b, b}});
  // The inits run as their ranges' first uid on the host.
  for (const auto& [id, base] : {std::pair{a, base_a}, std::pair{b, base_b}}) {
    pid_t pid = h.state(id).at("pid").get<pid_t>();
    std::string uid = std::to_string(base);
    CHECK(host_uids(pid) == uid + " " + uid + " " + uid + " " + uid);
    Result e = h.vsrv({"exec", id, "--", "sh", "-c", "id -u; cat /proc/self/uid_map"});
    CHECK(e.status == 0);
    CHECK(words(e.out) == "0 0 " + uid + " 65536");
  }

  // Full: one line, exit 2, nothing left of c (state, data, cgroup, range).
  Result full =
      with_pool(h, pool, {"run", "-d", "--template", kTemplate, "-f", h.write_spec(sleeper), c});
  INFO(full.err);
  CHECK(full.status == 2);
  CHECK(one_error_line(full.err));
  CHECK(full.err.find("vsrv.idmap: no free range") != std::string::npos);
  CHECK(full.err.find(pool.arg()) != std::string::npos);
  CHECK(h.traces(c).empty());
  CHECK(held(h).size() == 2);

  // Freed by delete, then handed to the next server.
  REQUIRE(h.vsrv({"delete", "--force", a}).status == 0);
  CHECK(held(h) == std::map<uint32_t, std::string>{{base_b, b}});
  run_detached(h, pool, c, sleeper);
  CHECK(recorded_base(h, c) == base_a);

  // Another pool is refused while ranges of this one are held.
  Pool other(2);
  other.first += 12345;
  Result moved = with_pool(
      h, other,
      {"run", "-d", "--template", kTemplate, "-f", h.write_spec(sleeper), h.new_id("moved")});
  CHECK(moved.status == 2);
  CHECK(one_error_line(moved.err));
  CHECK(moved.err.find("differs from the pool " + pool.arg()) != std::string::npos);

  for (const auto& id : {b, c}) REQUIRE(h.vsrv({"delete", "--force", id}).status == 0);
  CHECK(held(h).empty());
  CHECK(mountinfo() == mounts_before);
}

TEST_CASE("a killed idmap create leaves a range that delete --force frees", "[security][idmap]") {
  private_mount_namespace();
  VsrvHarness h;
  Pool pool(2);
  const auto mounts_before = mountinfo();

  // Stopped for sure while it holds the range: a prestart hook (run by this
  // vsrv process itself, as engines create) waits, its pid in a file.
  const std::string pid_file = h.scratch() + "/hook.pid";
  const std::string spec = sh_spec("exec sleep 1000", kIdmap) +
                           "hooks:\n  prestart:\n    - {path: /bin/sh, args: [sh, -c, " +
                           vsrv::test::yaml_quote("echo $$ > " + pid_file + ".tmp; mv " + pid_file +
                                                  ".tmp " + pid_file + "; exec sleep 100") +
                           "]}\n";
  std::string id = h.new_id("hooked");
  auto argv = h.argv({"--idmap-pool", pool.arg(), "create", "--template", kTemplate, "--pid-file",
                      h.scratch() + "/init.pid", "-f", h.write_spec(spec), id});
  pid_t pid = vsrv::test::spawn_quiet(argv);
  std::optional<std::string> hook_pid;
  for (int i = 0; i < 1000 && !hook_pid; ++i) {
    sleep_ms(10);
    hook_pid = vsrv::try_read_file(pid_file);
  }
  ::kill(pid, SIGKILL);
  REQUIRE(::waitpid(pid, nullptr, 0) == pid);
  REQUIRE(hook_pid);
  ::kill(std::stoi(*hook_pid), SIGKILL);  // the hook our vsrv started
  const uint32_t base = recorded_base(h, id);
  CHECK(held(h) == std::map<uint32_t, std::string>{{base, id}});
  CHECK(h.status(id) == "stopped");  // its creator is gone
  Result d = h.vsrv({"delete", "--force", id});
  INFO(d.err);
  CHECK(d.status == 0);
  CHECK(held(h).empty());
  CHECK(gone(h, id));

  // Kills spread over the whole of a create: whatever point each lands
  // on, delete --force leaves no range held.
  const std::string plain = h.write_spec(sh_spec("exec sleep 1000", kIdmap));
  std::string timed = h.new_id("timed");
  long long t0 = vsrv::test::now_ms();
  REQUIRE(with_pool(h, pool, {"create", "--template", kTemplate, "-f", plain, timed}).status == 0);
  int create_ms = static_cast<int>(vsrv::test::now_ms() - t0);
  REQUIRE(h.vsrv({"delete", timed}).status == 0);
  const int steps = 12;
  int recorded = 0;
  for (int step = 0; step <= steps; ++step) {
    std::string half = h.new_id("half");
    auto half_argv =
        h.argv({"--idmap-pool", pool.arg(), "create", "--template", kTemplate, "-f", plain, half});
    pid_t p = vsrv::test::spawn_quiet(half_argv);
    sleep_ms(create_ms * step / steps);
    ::kill(p, SIGKILL);
    REQUIRE(::waitpid(p, nullptr, 0) == p);
    try {
      if (h.state_file(half).contains("idmap")) ++recorded;
    } catch (const std::exception&) {
      // killed before state.json was written
    }
    Result hd = h.vsrv({"delete", "--force", half});
    std::string holders;
    for (const auto& [base, holder] : held(h)) holders += std::to_string(base) + "=" + holder + " ";
    INFO("killed after " << create_ms * step / steps << " ms: " << hd.err << " held: " << holders);
    CHECK(hd.status == 0);
    CHECK(held(h).empty());
    CHECK(gone(h, half));
  }
  CHECK(recorded > 0);  // some kills landed after the range was recorded
  CHECK(mountinfo() == mounts_before);
}

TEST_CASE("an idmap server keeps its range across a host boot and start --all-onboot",
          "[security][idmap]") {
  VsrvHarness h;
  Pool pool(2);
  std::string a = h.new_id("boot"), b = h.new_id("other");
  run_detached(h, pool, a,
               sh_spec("[ -e /persist ] || echo first > /persist; exec sleep 1000",
                       "vsrv: {idmap: auto, onboot: true}\n"));
  const uint32_t base = recorded_base(h, a);
  // A host boot: processes, cgroups and --root are gone, the data stays.
  nlohmann::json st = h.state_file(a);
  REQUIRE(h.vsrv({"stop", "-t", "0", a}).status == 0);
  for (const auto& dir : st.at("cgroupDirs")) ::rmdir(dir.get<std::string>().c_str());
  vsrv::remove_tree(h.root() + "/" + a);
  // Its range is still its own: another server gets the other one.
  CHECK(held(h).at(base) == a);
  run_detached(h, pool, b, sh_spec("exec sleep 1000", kIdmap));
  CHECK(recorded_base(h, b) != base);

  Result boot = with_pool(h, pool, {"start", "--all-onboot"});
  INFO(boot.out << boot.err);
  CHECK(boot.status == 0);
  CHECK(boot.out.find(a + ": started") != std::string::npos);
  CHECK(recorded_base(h, a) == base);
  Result e = h.vsrv({"exec", a, "--", "sh", "-c", "stat -c %u:%g /persist; cat /persist"});
  CHECK(words(e.out) == "0:0 first");  // its files are still its root's
  CHECK(owner(h.data() + "/servers/" + a + "/upper/persist") == owner_is(base));

  // A stopped server without state (after a boot) is deleted with its range.
  REQUIRE(h.vsrv({"stop", "-t", "0", a}).status == 0);
  st = h.state_file(a);
  for (const auto& dir : st.at("cgroupDirs")) ::rmdir(dir.get<std::string>().c_str());
  vsrv::remove_tree(h.root() + "/" + a);
  REQUIRE(h.vsrv({"delete", a}).status == 0);
  CHECK(held(h).count(base) == 0);
  CHECK(held(h).size() == 1);
}

TEST_CASE("what idmap: auto cannot be combined with is refused in one line", "[security][idmap]") {
  VsrvHarness h;
  Pool pool(1);
  const std::string sleeper = "process: {args: [sleep, '1'], terminal: false}\n";
  struct Case {
    std::string name, yaml, want;
    bool bundle = false;
  };
  // A bundle of the template's files, its config.json taken as it is.
  Result spec = h.vsrv({"spec", "--format", "json"});
  REQUIRE(spec.status == 0);
  nlohmann::json config = nlohmann::json::parse(spec.out);
  config["root"] = {{"path", h.data() + "/templates/" + kTemplate + "/rootfs"}};
  config["vsrv"] = {{"idmap", "auto"}};
  const std::string bundle = h.scratch() + "/bundle";
  vsrv::make_dirs(bundle);
  vsrv::write_file_atomic(bundle + "/config.json", config.dump());
  const std::vector<Case> cases = {
      {"bundle", "", "vsrv.idmap: auto needs a template", true},
      {"maps",
       sleeper + kIdmap +
           "linux:\n  namespaces: [{type: mount}, {type: user}]\n"
           "  uidMappings: [{containerID: 0, hostID: 300000, size: 65536}]\n"
           "  gidMappings: [{containerID: 0, hostID: 300000, size: 65536}]\n",
       "vsrv.idmap"},
      {"joined",
       sleeper + kIdmap +
           "linux:\n  namespaces: [{type: mount}, {type: user, path: /proc/1/ns/user}]\n",
       "joined by path"},
      {"no mount namespace", sleeper + kIdmap + "linux:\n  namespaces: [{type: pid}]\n",
       "vsrv.idmap: auto needs a mount namespace"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    std::string id = h.new_id("bad");
    std::vector<std::string> args = {"run", "-b", bundle, id};
    if (!c.bundle) args = {"run", "--template", kTemplate, "-f", h.write_spec(c.yaml), id};
    Result r = with_pool(h, pool, args);
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK(one_error_line(r.err));
    CHECK(r.err.find(c.want) != std::string::npos);
    CHECK(h.traces(id).empty());
  }
  Result bad_pool = h.vsrv({"--idmap-pool", "5:7", "run", "--template", kTemplate, "-f",
                            h.write_spec(sh_spec("true", kIdmap)), h.new_id("pool")});
  CHECK(bad_pool.status == 1);
  CHECK(one_error_line(bad_pool.err));
  CHECK(bad_pool.err.find("--idmap-pool 5:7: ") != std::string::npos);
  CHECK(held(h).empty());
}
