// The runc contract container engines (podman via conmon, containerd's
// runc shim) rely on, driven the way they drive it: create with --bundle,
// --pid-file and --console-socket (the pty master comes over the socket),
// no monitor of vsrv's own (the init is the caller's subreaper's child),
// start, state, kill SIGNUM and --all, exec --process --detach --pid-file
// --console-socket --tty, ps --format json, features, --log with
// --log-format json, --systemd-cgroup, delete --force of an unknown id.
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "harness_vsrv.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"

using nlohmann::json;
using vsrv::UniqueFd;
using vsrv::test::Result;
using vsrv::test::VsrvHarness;

namespace {

// A config.json bundle over the busybox template's root.
std::string bundle(VsrvHarness& h, const json& process) {
  Result r = h.vsrv({"spec", "--format", "json"});
  REQUIRE(r.status == 0);
  json c = json::parse(r.out);
  c["root"] = {{"path", h.data() + "/templates/" + vsrv::test::kTemplate + "/rootfs"},
               {"readonly", true}};
  c["process"].update(process);
  c.erase("vsrv");
  std::string dir = h.write_spec("") + ".bundle";
  vsrv::make_dirs(dir);
  vsrv::write_file_atomic(dir + "/config.json", c.dump(2));
  return dir;
}

// A listening unix socket, as conmon makes for --console-socket.
class ConsoleSocket {
 public:
  explicit ConsoleSocket(const std::string& path) : path_(path) {
    fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    struct sockaddr_un a = {};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    REQUIRE(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_.get(), 4) == 0);
  }
  const std::string& path() const { return path_; }
  // The fd the runtime sent (SCM_RIGHTS) on its connection.
  UniqueFd receive() {
    UniqueFd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    REQUIRE(conn);
    char data[64];
    struct iovec iov = {data, sizeof data};
    alignas(struct cmsghdr) char buf[CMSG_SPACE(sizeof(int))] = {};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = buf;
    msg.msg_controllen = sizeof buf;
    REQUIRE(::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC) > 0);
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    REQUIRE(c != nullptr);
    REQUIRE(c->cmsg_type == SCM_RIGHTS);
    int fd;
    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return UniqueFd(fd);
  }

 private:
  std::string path_;
  UniqueFd fd_;
};

// Reads from a pty master until text appears (or 5 s pass).
std::string read_until(int fd, const std::string& text) {
  std::string got;
  long long deadline = vsrv::test::now_ms() + 5000;
  while (got.find(text) == std::string::npos && vsrv::test::now_ms() < deadline) {
    struct pollfd p = {fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[256];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      got += "[read: " + std::string(n < 0 ? std::strerror(errno) : "end") + "]";
      break;
    }
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

pid_t parent_of(pid_t pid) {
  std::string stat = vsrv::read_file("/proc/" + std::to_string(pid) + "/stat");
  auto fields = vsrv::split(stat.substr(stat.rfind(')') + 2), ' ');
  return std::stoi(fields.at(1));
}

std::vector<std::string> open_fds(pid_t pid) {
  Result r = vsrv::test::run({"/bin/ls", "/proc/" + std::to_string(pid) + "/fd"});
  return vsrv::test::lines_of(r.out);
}

// This process as the engine's subreaper, for the test's life.
struct Subreaper {
  Subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }
  ~Subreaper() {
    ::prctl(PR_SET_CHILD_SUBREAPER, 0);
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }
};

}  // namespace

TEST_CASE("create --pid-file --console-socket, start, state, kill, delete as an engine does",
          "[engine]") {
  Subreaper subreaper;
  VsrvHarness h;
  std::string b = bundle(h, {{"terminal", true}, {"args", {"sh"}}});
  ConsoleSocket console(h.scratch() + "/console.sock");
  std::string pid_file = h.scratch() + "/init.pid", id = h.new_id("eng");

  Result r = h.vsrv(
      {"create", "--bundle", b, "--pid-file", pid_file, "--console-socket", console.path(), id});
  INFO(r.err);
  REQUIRE(r.status == 0);
  UniqueFd master = console.receive();
  pid_t pid = std::stoi(vsrv::read_file(pid_file));
  json st = h.state(id);
  CHECK(st.at("status") == "created");
  CHECK(st.at("pid") == pid);
  CHECK(st.at("ociVersion") == "1.0.2");
  // No monitor of vsrv's own: the init is now the subreaper's child.
  CHECK(h.state_file(id).at("monitorPid") == 0);
  CHECK(parent_of(pid) == ::getpid());

  REQUIRE(h.vsrv({"start", id}).status == 0);
  CHECK(h.status(id) == "running");
  // The user's process has the terminal and nothing of the host past fd 2.
  std::string cmd = "tty; echo $((40 + 2))-ok\n";
  REQUIRE(::write(master.get(), cmd.data(), cmd.size()) == static_cast<ssize_t>(cmd.size()));
  std::string out = read_until(master.get(), "42-ok");
  INFO(out);
  CHECK(out.find("/dev/pts/0") != std::string::npos);
  // Every fd of the init is its terminal (ash opens /dev/tty itself): none of the host.
  for (const auto& fd : open_fds(pid)) {
    std::string target =
        vsrv::test::run({"/bin/readlink", "/proc/" + std::to_string(pid) + "/fd/" + fd}).out;
    INFO("fd " << fd << " -> " << target);
    CHECK((target == "/dev/pts/0\n" || target == "/dev/tty\n"));
  }

  Result ps = h.vsrv({"ps", "--format", "json", id});
  REQUIRE(ps.status == 0);
  CHECK(json::parse(ps.out) == json::array({pid}));

  // kill ID SIGNUM as engines send it; --all reaches every process.
  std::string detached_pid = h.scratch() + "/exec.pid";
  std::string process = h.scratch() + "/process.json";
  vsrv::write_file_atomic(process, json{{"args", {"sleep", "1000"}},
                                        {"cwd", "/"},
                                        {"env", {"PATH=/bin"}},
                                        {"user", {{"uid", 0}, {"gid", 0}}},
                                        {"terminal", false}}
                                       .dump());
  r = h.vsrv({"exec", "--process", process, "--detach", "--pid-file", detached_pid, id});
  INFO(r.err);
  REQUIRE(r.status == 0);
  pid_t sleeper = std::stoi(vsrv::read_file(detached_pid));
  CHECK(parent_of(sleeper) == ::getpid());
  CHECK(open_fds(sleeper) == std::vector<std::string>{"0", "1", "2"});
  ps = h.vsrv({"ps", "--format", "json", id});
  CHECK(json::parse(ps.out).size() == 2);
  REQUIRE(h.vsrv({"kill", "--all", id, "9"}).status == 0);
  int status = 0;
  CHECK(::waitpid(sleeper, &status, 0) == sleeper);
  CHECK(WIFSIGNALED(status));
  CHECK(::waitpid(pid, &status, 0) == pid);
  CHECK(WTERMSIG(status) == SIGKILL);
  CHECK(h.status(id) == "stopped");
  r = h.vsrv({"kill", id, "15"});
  CHECK(r.status == 2);
  CHECK(vsrv::test::one_error_line(r.err));

  REQUIRE(h.vsrv({"delete", id}).status == 0);
  CHECK(h.traces(id).empty());
  // An unknown id: delete --force is fine, the rest say "does not exist".
  CHECK(h.vsrv({"delete", "--force", id}).status == 0);
  CHECK(h.vsrv({"state", id}).status == 2);
}

TEST_CASE("exec --tty --console-socket --detach sends the exec's pty to the engine", "[engine]") {
  Subreaper subreaper;
  VsrvHarness h;
  std::string id = h.new_id("engx");
  h.run_detached(id, vsrv::test::sh_spec("exec sleep 1000"));
  ConsoleSocket console(h.scratch() + "/exec.sock");
  std::string pid_file = h.scratch() + "/exec.pid";
  std::string process = h.scratch() + "/p.json";
  vsrv::write_file_atomic(process, json{{"args", {"sh"}},
                                        {"cwd", "/tmp"},
                                        {"env", {"PATH=/bin", "WHO=engine"}},
                                        {"user", {{"uid", 0}, {"gid", 0}}},
                                        {"terminal", true}}
                                       .dump());
  Result r = h.vsrv({"exec", "--process", process, "--detach", "--tty", "--console-socket",
                     console.path(), "--pid-file", pid_file, id});
  INFO(r.err);
  REQUIRE(r.status == 0);
  UniqueFd master = console.receive();
  pid_t pid = std::stoi(vsrv::read_file(pid_file));
  std::string cmd = "echo $WHO in $(pwd) on $(tty); exit 3\n";
  REQUIRE(::write(master.get(), cmd.data(), cmd.size()) == static_cast<ssize_t>(cmd.size()));
  CHECK(read_until(master.get(), "/dev/pts/").find("engine in /tmp on /dev/pts/") !=
        std::string::npos);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WEXITSTATUS(status) == 3);
}

TEST_CASE("features, --log --log-format json, --systemd-cgroup", "[engine]") {
  VsrvHarness h;
  Result r = h.vsrv({"features"});
  REQUIRE(r.status == 0);
  json f = json::parse(r.out);
  CHECK(f.at("ociVersionMax") == "1.1.0");
  CHECK(f.at("hooks") == json::array({"prestart", "createRuntime", "createContainer",
                                      "startContainer", "poststart", "poststop"}));
  CHECK(f.at("linux").at("cgroup").at("systemd") == false);
  CHECK(f.at("linux").at("cgroup").at("rdma") == true);  // linux.resources.rdma is applied

  // Exactly one JSON line per error in the log file.
  std::string log = h.scratch() + "/oci-log";
  r = h.vsrv({"--log", log, "--log-format", "json", "state", "no-such-server"});
  CHECK(r.status == 2);
  r = h.vsrv({"--log", log, "--log-format", "json", "kill", "no-such-server", "9"});
  CHECK(r.status == 2);
  r = h.vsrv({"--log", log, "--log-format", "json", "create", "--bundle", "/nonexistent", "x"});
  CHECK(r.status == 1);
  auto lines = vsrv::test::lines_of(vsrv::read_file(log));
  REQUIRE(lines.size() == 3);
  for (const auto& l : lines) {
    json j = json::parse(l);
    CHECK(j.at("level") == "error");
    CHECK(!j.at("msg").get<std::string>().empty());
    CHECK(j.contains("time"));
  }
  CHECK(json::parse(lines[0]).at("msg") == "server no-such-server does not exist");

  r = h.vsrv({"--systemd-cgroup", "create", "--bundle", "/nonexistent", "x"});
  CHECK(r.status == 1);
  CHECK(vsrv::test::one_error_line(r.err));
  CHECK(r.err.find("--systemd-cgroup") != std::string::npos);
}
