// containerd 1.6 with its runc shim (io.containerd.runc.v2) driving the
// built vsrv as its runc binary, for real: a private containerd daemon (root,
// state and socket in a temp dir), `ctr run` over the busybox template's
// root: output and exit codes, run -d + task exec (also with a terminal) +
// pause/resume + ps + kill + rm, run -t under script.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "harness_engine.hpp"
#include "harness_vsrv.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::Result;
using vsrv::test::run_limited;
using vsrv::test::shell_quote;
using vsrv::test::TempDir;
using vsrv::test::VsrvHarness;

namespace {

class Containerd {
 public:
  Containerd() {
    const std::string d = dir_.path();
    std::ofstream(d + "/config.toml")
        << "version = 2\nroot = \"" << d << "/root\"\nstate = \"" << d << "/state\"\n"
        << "disabled_plugins = [\"io.containerd.grpc.v1.cri\", \"io.containerd.internal.v1.opt\", "
           "\"io.containerd.snapshotter.v1.btrfs\", \"io.containerd.snapshotter.v1.zfs\", "
           "\"io.containerd.snapshotter.v1.devmapper\", \"io.containerd.snapshotter.v1.aufs\"]\n"
        << "[grpc]\n  address = \"" << d << "/containerd.sock\"\n"
        << "[ttrpc]\n  address = \"" << d << "/containerd.sock.ttrpc\"\n"
        << "[debug]\n  address = \"\"\n[metrics]\n  address = \"\"\n";
    // The server's root: a copy of the busybox template.
    Result cp = vsrv::test::run({"/bin/cp", "-a",
                                 h_.data() + "/templates/" + vsrv::test::kTemplate + "/rootfs/",
                                 d + "/rootfs"});
    INFO(cp.err);
    REQUIRE(cp.status == 0);
    daemon_ = ::fork();
    REQUIRE(daemon_ >= 0);
    if (daemon_ == 0) {
      int log = ::open((d + "/containerd.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(log, 1);
      ::dup2(log, 2);
      ::execl("/usr/bin/containerd", "containerd", "--config", (d + "/config.toml").c_str(),
              nullptr);
      ::_exit(127);
    }
    long long deadline = vsrv::test::now_ms() + 20000;
    while (ctr({"version"}, 5000).status != 0) {
      INFO(vsrv::read_file(d + "/containerd.log"));
      REQUIRE(vsrv::test::now_ms() < deadline);
      vsrv::test::sleep_ms(100);
    }
  }

  ~Containerd() {
    Result c = ctr({"containers", "list", "--quiet"}, 10000);
    for (const auto& id : vsrv::test::lines_of(c.out)) {
      ctr({"task", "kill", "--signal", "SIGKILL", id}, 10000);
      ctr({"task", "delete", "--force", id}, 10000);
      ctr({"containers", "delete", id}, 10000);
    }
    if (daemon_ > 0) {
      ::kill(daemon_, SIGTERM);
      while (::waitpid(daemon_, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }

  Result ctr(const std::vector<std::string>& args, int timeout_ms = 60000) const {
    return run_limited(argv(args), "", timeout_ms);
  }
  std::vector<std::string> argv(const std::vector<std::string>& args) const {
    std::vector<std::string> out = {"/usr/bin/ctr", "--address", dir_.path() + "/containerd.sock",
                                    "--namespace", "vsrvtest"};
    out.insert(out.end(), args.begin(), args.end());
    return out;
  }
  // ctr run with vsrv as the runc binary, over the template's root.
  std::vector<std::string> run_argv(const std::vector<std::string>& opts, const std::string& id,
                                    const std::vector<std::string>& cmd) const {
    std::vector<std::string> args = {"run",
                                     "--runc-binary",
                                     VSRV_BINARY,
                                     "--runc-root",
                                     dir_.path() + "/vsrv-root",
                                     "--fifo-dir",
                                     dir_.path() + "/fifo",
                                     "--cgroup",
                                     cgroups_.path() + "/" + id,
                                     "--read-only",
                                     "--rootfs"};
    args.insert(args.end(), opts.begin(), opts.end());
    args.push_back(dir_.path() + "/rootfs");
    args.push_back(id);
    args.insert(args.end(), cmd.begin(), cmd.end());
    return argv(args);
  }
  Result run(const std::vector<std::string>& opts, const std::string& id,
             const std::vector<std::string>& cmd) const {
    return run_limited(run_argv(opts, id, cmd), "", 60000);
  }
  std::string task_status(const std::string& id) const {
    for (const auto& line : vsrv::test::lines_of(ctr({"task", "list"}).out)) {
      auto w = vsrv::split(line, ' ');
      if (!w.empty() && w[0] == id) return vsrv::trim(line.substr(line.rfind(' ')));
    }
    return "";
  }
  // What vsrv holds for containerd (its --runc-root, per namespace).
  std::string vsrv_list() const {
    return run_limited({VSRV_BINARY, "--root", dir_.path() + "/vsrv-root/vsrvtest", "list", "-q"},
                       "", 10000)
        .out;
  }

 private:
  // containerd's shim sockets and fifos, created on first use.
  vsrv::test::NewHostDirs host_dirs_{{"/run/containerd"}};
  vsrv::test::CgroupParent cgroups_{"vsrvtest-containerd-" + std::to_string(::getpid())};
  VsrvHarness h_;  // the busybox template
  TempDir dir_{"vsrv-containerd"};
  pid_t daemon_ = 0;
};

}  // namespace

TEST_CASE("containerd run --rm: output and exit codes", "[containerd]") {
  Containerd c;
  Result r = c.run({"--rm"}, "vsrvtest-echo", {"echo", "hello from vsrv"});
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "hello from vsrv\n");
  CHECK(c.run({"--rm"}, "vsrvtest-exit", {"sh", "-c", "exit 9"}).status == 9);
  CHECK(c.vsrv_list().empty());
}

TEST_CASE("containerd run -d, task exec, pause, resume, ps, kill, delete", "[containerd]") {
  Containerd c;
  Result r = c.run({"--detach"}, "vsrvtest-d", {"sleep", "1000"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(c.task_status("vsrvtest-d") == "RUNNING");
  CHECK(vsrv::trim(c.vsrv_list()) == "vsrvtest-d");
  r = c.ctr({"task", "exec", "--exec-id", "e1", "vsrvtest-d", "sh", "-c", "echo in-exec; exit 4"});
  CHECK(r.status == 4);
  CHECK(r.out == "in-exec\n");
  // An exec with a terminal, under script for ctr's own tty.
  std::string cmd;
  for (const auto& a : c.argv(
           {"task", "exec", "--tty", "--exec-id", "e2", "vsrvtest-d", "sh", "-c", "tty; exit 6"}))
    cmd += shell_quote(a) + " ";
  r = run_limited({"/usr/bin/script", "-qec", cmd, "/dev/null"}, "", 60000);
  CHECK(r.status == 6);
  CHECK(r.out.find("/dev/pts/") != std::string::npos);

  REQUIRE(c.ctr({"task", "pause", "vsrvtest-d"}).status == 0);
  CHECK(c.task_status("vsrvtest-d") == "PAUSED");
  REQUIRE(c.ctr({"task", "resume", "vsrvtest-d"}).status == 0);
  CHECK(c.task_status("vsrvtest-d") == "RUNNING");
  r = c.ctr({"task", "ps", "vsrvtest-d"});
  CHECK(vsrv::test::lines_of(r.out).size() == 2);  // header and the init

  REQUIRE(c.ctr({"task", "kill", "--signal", "SIGKILL", "vsrvtest-d"}).status == 0);
  long long deadline = vsrv::test::now_ms() + 5000;
  while (c.task_status("vsrvtest-d") != "STOPPED" && vsrv::test::now_ms() < deadline)
    vsrv::test::sleep_ms(50);
  CHECK(c.task_status("vsrvtest-d") == "STOPPED");
  CHECK(c.ctr({"task", "delete", "vsrvtest-d"}).status == 0);
  CHECK(c.ctr({"containers", "delete", "vsrvtest-d"}).status == 0);
  CHECK(c.vsrv_list().empty());
}

TEST_CASE("containerd run -t under script gets a terminal", "[containerd]") {
  Containerd c;
  std::string cmd;
  for (const auto& a : c.run_argv({"--rm", "--tty"}, "vsrvtest-t", {"sh", "-c", "tty; exit 5"}))
    cmd += shell_quote(a) + " ";
  Result r = run_limited({"/usr/bin/script", "-qec", cmd, "/dev/null"}, "", 60000);
  INFO(r.out << r.err);
  CHECK(r.status == 5);
  CHECK(r.out.find("/dev/pts/0") != std::string::npos);
  CHECK(c.vsrv_list().empty());
}
