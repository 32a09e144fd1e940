// Podman 4.3 (with conmon) driving the built vsrv as its OCI runtime, for
// real: run --rm, run -d + exec + stop + rm, run -t under script, pause and
// unpause, user namespaces, OCI hooks from a hooks dir, exit codes.
// Podman's storage, config, temp files and vsrv's state live in a temp dir;
// its cgroups nest under this process's own; everything goes afterwards.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "harness_engine.hpp"
#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::Result;
using vsrv::test::run_limited;
using vsrv::test::shell_quote;
using vsrv::test::TempDir;
using vsrv::test::VsrvHarness;

namespace {

constexpr const char* kImage = "localhost/vsrvtest-busybox:1";

bool exists(const std::string& p) {
  return vsrv::test::path_exists(p);
}

class Podman {
 public:
  Podman() {
    std::ofstream(dir_.path() + "/containers.conf")
        << "[containers]\nnetns = \"none\"\n"
        << "[engine]\nruntime = \"vsrv\"\n"
        << "runtime_supports_json = [\"crun\", \"runc\", \"vsrv\"]\n"
        << "cgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n"
        << "events_logfile_path = \"" << dir_.path() << "/events.log\"\n"
        << "network_config_dir = \"" << dir_.path() << "/cni\"\n"
        << "[engine.runtimes]\nvsrv = [\"" << VSRV_BINARY << "\"]\n";
    // The image: the busybox template's root as a tar.
    std::string tar = dir_.path() + "/busybox.tar";
    Result t = vsrv::test::run({"/bin/tar", "-C",
                                h_.data() + "/templates/" + vsrv::test::kTemplate + "/rootfs/",
                                "-cf", tar, "."});
    INFO(t.err);
    REQUIRE(t.status == 0);
    Result r = podman({"import", tar, kImage});
    INFO(r.err);
    REQUIRE(r.status == 0);
  }

  ~Podman() {
    podman({"rm", "--all", "--force", "--time", "0"});
    podman({"rmi", "--all", "--force"});
    vsrv_empty_soon();
    // Storage of the vfs driver holds no mounts; podman's shm mounts went
    // with the containers. The cgroups podman made and the host dirs go with
    // the members below.
  }

  std::vector<std::string> argv(const std::vector<std::string>& args) const {
    std::string d = dir_.path();
    // Engines pass vsrv no --root or --data (podman's cleanup process would
    // not pass --runtime-flag on): vsrv's defaults, as installed.
    std::vector<std::string> out = {"/usr/bin/env",
                                    "CONTAINERS_CONF=" + d + "/containers.conf",
                                    "/usr/bin/podman",
                                    "--root",
                                    d + "/root",
                                    "--runroot",
                                    d + "/runroot",
                                    "--tmpdir",
                                    d + "/tmp",
                                    "--storage-driver",
                                    "vfs",
                                    "--cgroup-manager",
                                    "cgroupfs",
                                    "--events-backend",
                                    "file",
                                    "--runtime",
                                    "vsrv"};
    out.insert(out.end(), args.begin(), args.end());
    return out;
  }
  Result podman(const std::vector<std::string>& args, int timeout_ms = 60000) const {
    return run_limited(argv(args), "", timeout_ms);
  }
  // What every `run` on this host needs: the caller's hard limits are below
  // podman's defaults; no network; cgroups below our own.
  std::vector<std::string> run_args(std::vector<std::string> extra = {}) const {
    std::vector<std::string> out = {"--ulimit",        "nofile=4096:4096", "--ulimit",
                                    "nproc=4096:4096", "--cgroup-parent",  cgroups_.path()};
    if (std::find(extra.begin(), extra.end(), "--network") == extra.end()) {
      out.push_back("--network");
      out.push_back("none");
    }
    out.insert(out.end(), extra.begin(), extra.end());
    return out;
  }
  Result run(const std::vector<std::string>& opts, const std::vector<std::string>& cmd) const {
    std::vector<std::string> args = {"run"};
    for (const auto& a : run_args(opts)) args.push_back(a);
    args.push_back(kImage);
    args.insert(args.end(), cmd.begin(), cmd.end());
    return podman(args);
  }
  std::string status(const std::string& name) const {
    Result r = podman({"inspect", "--format", "{{.State.Status}}", name});
    return vsrv::trim(r.out);
  }
  // vsrv's own view: the servers it holds for this podman.
  std::string vsrv_list() const {
    Result r = run_limited({VSRV_BINARY, "list", "--format", "json"}, "", 10000);
    std::string ids;
    for (const auto& e : nlohmann::json::parse(r.out.empty() ? "[]" : r.out)) {
      if (e.at("bundle").get<std::string>().rfind(dir_.path() + "/", 0) == 0)
        ids += e.at("id").get<std::string>() + "\n";
    }
    return ids;
  }
  // Podman deletes through its cleanup process, after the command returned.
  bool vsrv_empty_soon() const {
    long long deadline = vsrv::test::now_ms() + 10000;
    while (!vsrv_list().empty()) {
      if (vsrv::test::now_ms() > deadline) return false;
      vsrv::test::sleep_ms(50);
    }
    return true;
  }
  const std::string& dir() const { return dir_.path(); }

 private:
  // Podman's blob cache and vsrv's default state and data dirs (engines
  // pass no --root), removed last when this test made them.
  vsrv::test::NewHostDirs host_dirs_{{"/var/lib/containers", "/run/vsrv", "/var/lib/vsrv"}};
  vsrv::test::CgroupParent cgroups_{"vsrvtest-podman-" + std::to_string(::getpid())};
  VsrvHarness h_;  // the busybox template
  TempDir dir_{"vsrv-podman"};
};

}  // namespace

TEST_CASE("podman run --rm: output and exit codes", "[podman]") {
  Podman p;
  Result r = p.run({"--rm"}, {"echo", "hello from vsrv"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "hello from vsrv\n");
  CHECK(p.run({"--rm"}, {"sh", "-c", "exit 7"}).status == 7);
  // The wording podman maps: not found 127, not executable 126.
  CHECK(p.run({"--rm"}, {"/nonexistent"}).status == 127);
  CHECK(p.run({"--rm"}, {"nonexistent"}).status == 127);
  CHECK(p.run({"--rm"}, {"/etc/passwd"}).status == 126);
  // Config podman emits: a cgroup mount at /sys/fs/cgroup, masked paths the
  // host may lack, its seccomp profile; a read-only root; tmpfs.
  r = p.run(
      {"--rm", "--read-only", "--tmpfs", "/scratch"},
      {"sh", "-c", "grep -q ' /sys/fs/cgroup ' /proc/mounts && touch /scratch/x && ! touch /x"});
  INFO(r.err);
  CHECK(r.status == 0);
  // A non-root user with an added capability gets it as an ambient one.
  r = p.run({"--rm", "--user", "1000", "--cap-add", "NET_ADMIN"},
            {"sh", "-c", "id -u; grep CapAmb /proc/self/status"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "1000\nCapAmb:\t0000000000001000\n");
  CHECK(p.vsrv_empty_soon());
}

TEST_CASE("podman run -d, exec, stop, rm", "[podman]") {
  Podman p;
  Result r = p.run({"-d", "--name", "vsrvtest-d"}, {"sleep", "1000"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(p.status("vsrvtest-d") == "running");
  r = p.podman({"exec", "vsrvtest-d", "sh", "-c", "echo in-exec; exit 3"});
  CHECK(r.status == 3);
  CHECK(r.out == "in-exec\n");
  r = p.podman({"exec", "vsrvtest-d", "cat", "/proc/1/cmdline"});
  CHECK(r.out.find("sleep") == 0);
  // vsrv holds it as an engine's server: no monitor of its own.
  CHECK(vsrv::trim(p.vsrv_list()).size() == 64);
  // Another container in this one's network namespace: netns by path.
  std::string ns =
      vsrv::trim(p.podman({"exec", "vsrvtest-d", "readlink", "/proc/self/ns/net"}).out);
  r = p.run({"--rm", "--network", "container:vsrvtest-d"}, {"readlink", "/proc/self/ns/net"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(vsrv::trim(r.out) == ns);
  CHECK(ns.rfind("net:[", 0) == 0);
  r = p.podman({"stop", "-t", "1", "vsrvtest-d"});
  CHECK(r.status == 0);
  CHECK(p.status("vsrvtest-d") == "exited");
  CHECK(p.podman({"rm", "vsrvtest-d"}).status == 0);
  CHECK(p.vsrv_empty_soon());
}

TEST_CASE("podman run -t under script gets a terminal", "[podman]") {
  Podman p;
  std::vector<std::string> args = {"run", "--rm", "-t"};
  for (const auto& a : p.run_args()) args.push_back(a);
  for (const char* a : {kImage, "sh", "-c", "tty; exit 5"}) args.push_back(a);
  std::string cmd;
  for (const auto& a : p.argv(args)) cmd += shell_quote(a) + " ";
  Result r = run_limited({"/usr/bin/script", "-qec", cmd, "/dev/null"}, "", 60000);
  INFO(r.out << r.err);
  CHECK(r.status == 5);
  CHECK(r.out.find("/dev/pts/0") != std::string::npos);
}

TEST_CASE("podman pause and unpause", "[podman]") {
  Podman p;
  REQUIRE(
      p.run({"-d", "--name", "vsrvtest-p"}, {"sh", "-c", "while :; do sleep 0.1; done"}).status ==
      0);
  CHECK(p.podman({"pause", "vsrvtest-p"}).status == 0);
  CHECK(p.status("vsrvtest-p") == "paused");
  CHECK(p.podman({"unpause", "vsrvtest-p"}).status == 0);
  CHECK(p.status("vsrvtest-p") == "running");
  CHECK(p.podman({"exec", "vsrvtest-p", "true"}).status == 0);
  CHECK(p.podman({"rm", "--force", "--time", "0", "vsrvtest-p"}).status == 0);
  CHECK(p.vsrv_empty_soon());
}

TEST_CASE("podman with user namespaces and OCI hooks", "[podman]") {
  Podman p;
  Result r = p.run({"--rm", "--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"},
                   {"sh", "-c", "cat /proc/self/uid_map; id -u"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out.find("100000") != std::string::npos);
  CHECK(r.out.find("\n0\n") != std::string::npos);

  // Hooks from a hooks dir reach vsrv through config.json; each writes the
  // state it got on stdin.
  std::string hooks = p.dir() + "/hooks.d", out = p.dir() + "/hook-out";
  vsrv::make_dirs(hooks);
  vsrv::make_dirs(out);
  for (const char* stage : {"prestart", "createRuntime", "poststop"}) {
    std::ofstream(hooks + "/" + stage + ".json")
        << "{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", "
           "\"cat > "
        << out << "/" << stage << "\"]}, \"when\": {\"always\": true}, \"stages\": [\"" << stage
        << "\"]}\n";
  }
  std::vector<std::string> args = {"--hooks-dir", hooks, "run", "--rm", "--name", "vsrvtest-h"};
  for (const auto& a : p.run_args()) args.push_back(a);
  for (const char* a : {kImage, "true"}) args.push_back(a);
  r = p.podman(args);
  INFO(r.err);
  CHECK(r.status == 0);
  for (const char* stage : {"prestart", "createRuntime"}) {
    auto state = nlohmann::json::parse(vsrv::read_file(out + "/" + stage));
    CHECK(state.at("status") == "creating");
    CHECK(state.at("pid").get<int>() > 0);
    CHECK(state.at("id").get<std::string>().size() == 64);
  }
  // poststop runs at delete, which podman's cleanup does after run returns.
  long long deadline = vsrv::test::now_ms() + 10000;
  while (!exists(out + "/poststop") && vsrv::test::now_ms() < deadline) vsrv::test::sleep_ms(50);
  REQUIRE(exists(out + "/poststop"));
  vsrv::test::sleep_ms(100);
  CHECK(nlohmann::json::parse(vsrv::read_file(out + "/poststop")).at("status") == "stopped");
}
