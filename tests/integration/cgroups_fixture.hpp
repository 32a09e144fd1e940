// Shared by the cgroups integration tests: the caller's own cgroup directories
// (computed here independently of the library), child processes driven over
// pipes, and a fixture that removes everything a test made even when it fails.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/cgroups/cgroup.hpp"

namespace cgtest {

inline bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

inline std::string read_trim(const std::string& p) {
  return vsrv::trim(vsrv::read_file(p));
}

// /proc/PID/cgroup as hierarchy key ("memory", "name=systemd", "" for 0::) -> path.
inline std::map<std::string, std::string> proc_cgroups(const std::string& pid) {
  std::map<std::string, std::string> out;
  for (const std::string& line : vsrv::split(vsrv::read_file("/proc/" + pid + "/cgroup"), '\n')) {
    if (line.empty()) continue;
    size_t a = line.find(':'), b = line.find(':', a + 1);
    out[line.substr(a + 1, b - a - 1)] = line.substr(b + 1);
  }
  return out;
}

// The cgroup2 mount: /sys/fs/cgroup on a pure v2 host (tests/vm), else the
// hybrid /sys/fs/cgroup/unified.
inline std::string v2_mount() {
  struct statfs st;
  bool pure = ::statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
  return pure ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
}

// Mount of a hierarchy, by its /proc/self/cgroup key.
inline std::string mount_of(const std::string& key) {
  if (key.empty()) return v2_mount();
  if (key == "name=systemd") return "/sys/fs/cgroup/systemd";
  return "/sys/fs/cgroup/" + key;
}

// The cgroup a caller's relative paths are nested under: its own, or the
// parent of the leaf the v2 backend moved it into ("vsrv.leaf").
inline std::string caller_path(std::string path) {
  const std::string leaf = "/vsrv.leaf";
  if (path.size() >= leaf.size() && path.compare(path.size() - leaf.size(), leaf.size(), leaf) == 0)
    path.resize(path.size() - leaf.size());
  return path.empty() ? "/" : path;
}

// The caller's own cgroup directory in every hierarchy: key -> directory.
inline std::map<std::string, std::string> own_dirs() {
  std::map<std::string, std::string> out;
  for (const auto& [key, raw] : proc_cgroups("self")) {
    std::string path = caller_path(raw);
    out[key] = mount_of(key) + (path == "/" ? "" : path);
  }
  return out;
}

// rmdir a cgroup tree, children first, thawing first so that nothing stays stuck.
inline void rmdir_tree(const std::string& dir) {
  if (DIR* d = ::opendir(dir.c_str())) {
    std::vector<std::string> subs;
    while (struct dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (e->d_type == DT_DIR && n != "." && n != "..") subs.push_back(n);
    }
    ::closedir(d);
    for (const auto& s : subs) rmdir_tree(dir + "/" + s);
  }
  for (int i = 0; i < 2000 && ::rmdir(dir.c_str()) < 0 && errno == EBUSY; ++i) ::usleep(1000);
}

inline void thaw_tree(const std::string& dir) {
  vsrv::UniqueFd fd(::open((dir + "/freezer.state").c_str(), O_WRONLY | O_CLOEXEC));
  if (fd) (void)!::write(fd.get(), "THAWED", 6);
  vsrv::UniqueFd fd2(::open((dir + "/cgroup.freeze").c_str(), O_WRONLY | O_CLOEXEC));
  if (fd2) (void)!::write(fd2.get(), "0", 1);
}

// fork() whose child has the default signal dispositions (not Catch's
// handlers, which would report a "failure" from the child).
inline pid_t fork_child() {
  pid_t pid = ::fork();
  if (pid == 0)
    for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
  return pid;
}

// A child that echoes every byte it reads on one pipe to another; exits on EOF.
struct Echo {
  pid_t pid = -1;
  vsrv::UniqueFd to;    // write end: bytes for the child
  vsrv::UniqueFd from;  // read end: the child's echoes

  // Sends one byte; true if the echo arrives within timeout_ms.
  bool ping(int timeout_ms) {
    if (::write(to.get(), "x", 1) != 1) return false;
    return echoed(timeout_ms);
  }
  bool echoed(int timeout_ms) {
    struct pollfd p = {from.get(), POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return false;
    char c;
    return ::read(from.get(), &c, 1) == 1;
  }
};

// Everything one test makes: the "vsrv-test-<pid>-<n>" parent in every
// hierarchy and the processes it forks. The destructor thaws, kills (by pid,
// only the test's own processes), reaps and removes, even after a failure.
class Fixture {
 public:
  Fixture() {
    static std::atomic<int> n{0};
    top_ = "vsrv-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
    // Orphaned grandchildren come back to us, so that we reap them by pid.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  ~Fixture() {
    std::vector<std::string> tops;
    for (const auto& [key, own] : own_dirs()) tops.push_back(own + "/" + top_);
    walk(tops, [](const std::string& d) { thaw_tree(d); });
    // Everything still in our cgroups was started by this test.
    walk(tops, [this](const std::string& d) {
      for (const std::string& l :
           vsrv::split(vsrv::try_read_file(d + "/cgroup.procs").value_or(""), '\n'))
        if (!l.empty()) track(std::stoi(l));
    });
    for (pid_t p : pids_) ::kill(p, SIGKILL);
    for (pid_t p : pids_) {
      for (int i = 0; i < 5000; ++i) {
        pid_t r = ::waitpid(p, nullptr, WNOHANG);
        if (r == p || (r < 0 && errno == ECHILD && ::kill(p, 0) < 0)) break;
        ::usleep(1000);
      }
    }
    for (const auto& t : tops) rmdir_tree(t);
  }

  const std::string& top() const { return top_; }
  void track(pid_t p) {
    for (pid_t q : pids_)
      if (q == p) return;
    pids_.push_back(p);
  }
  // waitpid for a tracked child; returns the status.
  int wait(pid_t p) {
    int status = 0;
    pid_t r;
    do r = ::waitpid(p, &status, 0);
    while (r < 0 && errno == EINTR);
    if (r == p) untrack(p);
    return status;
  }

  Echo echo() {
    vsrv::Pipe in = vsrv::Pipe::make(), out = vsrv::Pipe::make();
    pid_t pid = fork_child();
    if (pid == 0) {
      in.write.reset();
      out.read.reset();
      char c;
      while (::read(in.read.get(), &c, 1) == 1)
        if (::write(out.write.get(), &c, 1) != 1) _exit(2);
      _exit(0);
    }
    track(pid);
    return Echo{pid, std::move(in.write), std::move(out.read)};
  }

 private:
  template <typename F>
  static void walk(const std::vector<std::string>& dirs, F f) {
    for (const auto& d : dirs) {
      if (!exists(d)) continue;
      f(d);
      std::vector<std::string> subs;
      if (DIR* dd = ::opendir(d.c_str())) {
        while (struct dirent* e = ::readdir(dd)) {
          std::string n = e->d_name;
          if (e->d_type == DT_DIR && n != "." && n != "..") subs.push_back(d + "/" + n);
        }
        ::closedir(dd);
      }
      walk(subs, f);
    }
  }
  void untrack(pid_t p) {
    for (auto it = pids_.begin(); it != pids_.end(); ++it)
      if (*it == p) {
        pids_.erase(it);
        return;
      }
  }

  std::string top_;
  std::vector<pid_t> pids_;
};

}  // namespace cgtest
