// Helpers for isolation integration tests: run a body in a forked child (the
// work changes process-wide state), collect what it reports, and never leave
// a child behind.
#pragma once

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>

#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"

namespace vsrv::test {

// Kills (SIGKILL) and reaps a child we started unless it was already reaped.
class ChildGuard {
 public:
  explicit ChildGuard(pid_t pid = -1) : pid_(pid) {}
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  ChildGuard(ChildGuard&& o) noexcept : pid_(std::exchange(o.pid_, -1)) {}
  ~ChildGuard() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
  pid_t get() const { return pid_; }
  // waitpid; returns the exit code, or 128+signal.
  int wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
      if (errno != EINTR) throw std::runtime_error("waitpid failed");
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_;
};

// Thrown inside a child body to fail with a message.
inline void expect(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

inline std::string errno_text() {
  return std::strerror(errno);
}

struct ChildResult {
  int status = -1;  // exit code, or 128+signal
  std::string out;  // what the child wrote to fd 1 (or its failure message)
};

// Forks; the child runs body with stdout redirected to a pipe read by the
// parent. The body returns normally for success (exit 0) or throws (its
// message is reported, exit 1). A body may also execve. The child is killed
// by SIGALRM after 30 s so a hang fails the test instead of blocking it.
inline ChildResult run_in_child(const std::function<void()>& body) {
  Pipe out = Pipe::make();
  ChildGuard child(::fork());
  if (child.get() < 0) throw std::runtime_error("fork failed");
  if (child.get() == 0) {
    ::alarm(30);
    out.read.reset();
    ::dup2(out.write.get(), 1);
    int code = 0;
    try {
      body();
    } catch (const std::exception& e) {
      std::string msg = std::string("child failed: ") + e.what() + "\n";
      (void)!::write(1, msg.data(), msg.size());
      code = 1;
    }
    ::_exit(code);
  }
  out.write.reset();
  ChildResult r;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out.read.get(), buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    r.out.append(buf, static_cast<size_t>(n));
  }
  r.status = child.wait();
  return r;
}

// Blocks until the other side writes one byte (or closes: false).
inline bool wait_byte(int fd) {
  char c;
  ssize_t n;
  do {
    n = ::read(fd, &c, 1);
  } while (n < 0 && errno == EINTR);
  return n == 1;
}

inline void send_byte(int fd) {
  char c = 'x';
  (void)!::write(fd, &c, 1);
}

inline ino_t ns_inode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) throw std::runtime_error("stat " + path + ": " + errno_text());
  return st.st_ino;
}

// "CapEff" etc. from /proc/self/status as a number.
inline unsigned long long status_hex(const std::string& status, const std::string& key) {
  auto pos = status.find("\n" + key + ":");
  if (pos == std::string::npos) throw std::runtime_error("no " + key + " in status");
  return std::stoull(status.substr(pos + key.size() + 2), nullptr, 16);
}

}  // namespace vsrv::test
