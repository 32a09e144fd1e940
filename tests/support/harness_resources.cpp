#include "harness_resources.hpp"

#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <stdexcept>

#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"

namespace vsrv::test {

Background::Background(const std::vector<std::string>& argv) {
  Pipe out = Pipe::make();
  pid_ = ::fork();
  if (pid_ < 0) throw SysError("fork");
  if (pid_ == 0) {
    for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
    ::dup2(out.write.get(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  out_ = std::move(out.read);
}

Background::~Background() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

std::optional<std::string> Background::line(int timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    size_t nl = buf_.find('\n');
    if (nl != std::string::npos) {
      std::string l = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      return l;
    }
    long long left = deadline - now_ms();
    if (left <= 0) return std::nullopt;
    struct pollfd p = {out_.get(), POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    char chunk[4096];
    ssize_t got = ::read(out_.get(), chunk, sizeof chunk);
    if (got <= 0) return std::nullopt;
    buf_.append(chunk, static_cast<size_t>(got));
  }
}

int Background::wait(int timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (now_ms() > deadline) return -1;
    sleep_ms(5);
  }
}

void Background::kill(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

bool pure_cgroup_v2() {
  struct statfs st;
  return ::statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

std::string cgroup_file(const VsrvHarness& h, const std::string& id,
                        const std::string& v1_controller, const std::string& v1_file,
                        const std::string& v2_file) {
  std::vector<std::string> dirs = h.state_file(id).at("cgroupDirs").get<std::vector<std::string>>();
  if (pure_cgroup_v2()) {
    REQUIRE(dirs.size() == 1);
    return dirs[0] + "/" + v2_file;
  }
  const std::string prefix = "/sys/fs/cgroup/";
  for (const auto& d : dirs) {
    std::string mount = d.substr(prefix.size(), d.find('/', prefix.size()) - prefix.size());
    for (const auto& c : split(mount, ','))
      if (c == v1_controller) return d + "/" + v1_file;
  }
  FAIL("server " << id << " has no " << v1_controller << " cgroup");
  return "";
}

std::string read_trimmed(const std::string& path) {
  return trim(read_file(path));
}

nlohmann::json stats_json(const VsrvHarness& h, const std::string& id) {
  Result r = h.vsrv({"stats", id, "--format", "json"});
  INFO("stats " << id << ": " << r.err);
  REQUIRE(r.status == 0);
  nlohmann::json a = nlohmann::json::parse(r.out);
  REQUIRE(a.size() == 1);
  REQUIRE(a[0].at("id") == id);
  return a[0];
}

std::vector<std::string> log_lines(const VsrvHarness& h, const std::string& id) {
  Result r = h.vsrv({"logs", id});
  INFO("logs " << id << ": " << r.err);
  REQUIRE(r.status == 0);
  return lines_of(r.out);
}

}  // namespace vsrv::test
