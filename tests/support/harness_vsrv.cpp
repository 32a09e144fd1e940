#include "harness_vsrv.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/base/proc.hpp"

namespace vsrv::test {

namespace {

// The busybox template, built once per process by the real `vsrv template`.
struct TemplateCache {
  TempDir dir{"vsrv-lt-template"};
  TemplateCache() {
    Result r = run_limited({VSRV_BINARY, "--root", dir.path() + "/run", "--data",
                            dir.path() + "/data", "template", "busybox", kTemplate},
                           "", 120000);
    if (r.status != 0) throw std::runtime_error("vsrv template busybox failed: " + r.err);
  }
  std::string templates() const { return dir.path() + "/data/templates"; }
};

const TemplateCache& template_cache() {
  static TemplateCache cache;
  return cache;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::vector<std::string> dir_entries(const std::string& dir) {
  return vsrv::list_dir(dir);
}

// Directories below dir whose path ends with tail (cgroup trees are small).
void find_dirs(const std::string& dir, const std::string& tail, int depth,
               std::vector<std::string>& out) {
  if (depth == 0) return;
  for (const auto& n : dir_entries(dir)) {
    std::string p = dir + "/" + n;
    struct stat st;
    if (::lstat(p.c_str(), &st) < 0 || !S_ISDIR(st.st_mode)) continue;
    if (ends_with(p, tail)) out.push_back(p);
    find_dirs(p, tail, depth - 1, out);
  }
}

}  // namespace

VsrvHarness::VsrvHarness() {
  make_dirs(data() + "/servers", 0700);
  std::string link = data() + "/templates";
  if (::symlink(template_cache().templates().c_str(), link.c_str()) < 0)
    throw std::runtime_error("symlink " + link);
}

VsrvHarness::~VsrvHarness() {
  for (const auto& id : ids_) {
    try {
      vsrv({"delete", "--force", id}, "", 20);
    } catch (...) {
    }
  }
}

std::string VsrvHarness::new_id(const std::string& tag) {
  static std::atomic<int> counter{0};
  std::string id = "lt" + std::to_string(::getpid()) + "-" + tag + std::to_string(++counter);
  ids_.push_back(id);
  return id;
}

std::vector<std::string> VsrvHarness::argv(const std::vector<std::string>& args) const {
  std::vector<std::string> out = {VSRV_BINARY, "--root", root(), "--data", data()};
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

std::string VsrvHarness::command_line(const std::vector<std::string>& args) const {
  std::string out;
  for (const auto& a : argv(args)) out += (out.empty() ? "" : " ") + shell_quote(a);
  return out;
}

Result VsrvHarness::vsrv(const std::vector<std::string>& args, const std::string& input,
                         int timeout_s) const {
  return run_limited(argv(args), input, timeout_s * 1000);
}

std::string VsrvHarness::write_spec(const std::string& yaml) {
  std::string path = scratch() + "/spec" + std::to_string(++files_) + ".yaml";
  write_file_atomic(path, yaml, 0644);
  return path;
}

void VsrvHarness::run_detached(const std::string& id, const std::string& yaml) {
  Result r = vsrv({"run", "-d", "--template", kTemplate, "-f", write_spec(yaml), id});
  INFO("run -d " << id << ": " << r.err);
  REQUIRE(r.status == 0);
}

nlohmann::json VsrvHarness::state(const std::string& id) const {
  Result r = vsrv({"state", id});
  INFO("state " << id << ": " << r.err);
  REQUIRE(r.status == 0);
  return nlohmann::json::parse(r.out);
}

std::string VsrvHarness::status(const std::string& id) const {
  return state(id).at("status").get<std::string>();
}

bool VsrvHarness::wait_status(const std::string& id, const std::string& want,
                              int timeout_ms) const {
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    if (status(id) == want) return true;
    if (now_ms() > deadline) return false;
    sleep_ms(10);
  }
}

nlohmann::json VsrvHarness::state_file(const std::string& id) const {
  return nlohmann::json::parse(read_file(root() + "/" + id + "/state.json"));
}

std::vector<std::string> VsrvHarness::traces(const std::string& id,
                                             const std::vector<std::string>& cgroup_dirs) const {
  std::vector<std::string> out;
  for (const auto& p : {root() + "/" + id, data() + "/servers/" + id})
    if (exists(p)) out.push_back("dir " + p);
  std::vector<std::string> dirs = cgroup_dirs;
  find_dirs("/sys/fs/cgroup", "/vsrv/" + id, 8, dirs);
  for (const auto& d : dirs)
    if (exists(d)) out.push_back("cgroup " + d);
  for (const auto& pid : dir_entries("/proc")) {
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    auto read = [&](const char* file) -> std::string {
      try {
        return try_read_file("/proc/" + pid + "/" + file).value_or("");
      } catch (...) {
        return "";  // exited meanwhile
      }
    };
    // A vsrv process about this server (e.g. its monitor) names it in its argv.
    std::string cmdline = read("cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if ((cmdline + " ").find(" " + id + " ") != std::string::npos) {
      out.push_back("process " + pid + ": " + cmdline);
      continue;
    }
    for (const auto& line : lines_of(read("cgroup"))) {
      if (ends_with(line, "/vsrv/" + id) || line.find("/vsrv/" + id + "/") != std::string::npos) {
        out.push_back("process " + pid + " in " + line);
        break;
      }
    }
  }
  return out;
}

Result run_limited(const std::vector<std::string>& argv, const std::string& input, int timeout_ms) {
  Pipe in = Pipe::make(), out = Pipe::make(), err = Pipe::make();
  pid_t pid = ::fork();
  if (pid < 0) throw SysError("fork");
  if (pid == 0) {
    ::dup2(in.read.get(), 0);
    ::dup2(out.write.get(), 1);
    ::dup2(err.write.get(), 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  UniqueFd pidfd(pidfd_open(pid));
  if (!pidfd) throw SysError("pidfd_open");
  in.read.reset();
  out.write.reset();
  err.write.reset();
  // Input is small: the pipe buffer holds it even when the child never reads.
  if (!input.empty()) {
    ::fcntl(in.write.get(), F_SETFL, O_NONBLOCK);
    ssize_t n = ::write(in.write.get(), input.data(), input.size());
    (void)n;
  }
  in.write.reset();
  Result r;
  long long deadline = now_ms() + timeout_ms;
  bool exited = false, timed_out = false;
  struct pollfd fds[3] = {
      {out.read.get(), POLLIN, 0}, {err.read.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
  char buf[4096];
  for (;;) {
    if (exited && now_ms() > deadline + 1000) break;
    // Once the child is gone, take what its descendants wrote so far and stop:
    // a process it left running (exec -d, a server) may hold the pipes.
    int wait_ms = exited ? 0 : static_cast<int>(std::max(0LL, deadline - now_ms()));
    int n = ::poll(fds, 3, wait_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (exited) break;
      timed_out = true;
      ::kill(pid, SIGKILL);
      exited = true;
      continue;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t k = ::read(fds[i].fd, buf, sizeof buf);
      if (k <= 0)
        fds[i].fd = -1;
      else
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(k));
    }
    if (fds[2].revents & POLLIN) {
      exited = true;
      fds[2].fd = -1;
    }
    if (fds[0].fd < 0 && fds[1].fd < 0 && exited) break;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (timed_out) {
    r.status = kTimedOut;
    r.err += "[harness: killed after " + std::to_string(timeout_ms) + " ms]\n";
  }
  return r;
}

std::string yaml_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string sh_spec(const std::string& script, const std::string& extra) {
  return "process: {args: [sh, -c, " + yaml_quote(script) + "], terminal: false}\n" + extra;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool one_error_line(const std::string& err) {
  return err.rfind("vsrv: ", 0) == 0 && err.find('\n') == err.size() - 1;
}

std::vector<std::string> mountinfo() {
  return lines_of(read_file("/proc/self/mountinfo"));
}

std::string ns_link(pid_t pid, const std::string& type) {
  char buf[128] = {};
  std::string path = "/proc/" + std::to_string(pid) + "/ns/" + type;
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

long long now_ms() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (::nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

}  // namespace vsrv::test
