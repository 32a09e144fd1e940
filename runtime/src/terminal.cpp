#include "terminal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/base/proc.hpp"

namespace vsrv::runtime {

namespace {

class RawMode {
 public:
  explicit RawMode(int fd) : fd_(fd) {
    if (!::isatty(fd) || ::tcgetattr(fd, &saved_) < 0) return;
    struct termios raw = saved_;
    ::cfmakeraw(&raw);
    if (::tcsetattr(fd, TCSANOW, &raw) == 0) active_ = true;
  }
  ~RawMode() {
    if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
  }

 private:
  int fd_;
  struct termios saved_ = {};
  bool active_ = false;
};

void copy_winsize(int from, int to) {
  struct winsize ws;
  if (::ioctl(from, TIOCGWINSZ, &ws) == 0) ::ioctl(to, TIOCSWINSZ, &ws);
}

// false on EOF/error.
bool pump(int from, int to) {
  char buf[16384];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  try {
    write_all(to, buf, static_cast<size_t>(n));
  } catch (...) {
    return false;
  }
  return true;
}

}  // namespace

int attach_and_wait(pid_t pid, int pidfd, int pty_master) {
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) sigaddset(&mask, s);
  sigset_t old;
  ::sigprocmask(SIG_BLOCK, &mask, &old);
  UniqueFd sfd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));

  std::optional<RawMode> raw;
  if (pty_master >= 0) {
    raw.emplace(0);
    copy_winsize(0, pty_master);
  }
  struct pollfd fds[4] = {{pidfd, POLLIN, 0},
                          {sfd.get(), POLLIN, 0},
                          {pty_master >= 0 ? 0 : -1, POLLIN, 0},
                          {pty_master, POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 4, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[3].fd >= 0 && (fds[3].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (!pump(pty_master, 1)) fds[3].fd = -1;
    }
    if (fds[2].fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (!pump(0, pty_master)) fds[2].fd = -1;  // stdin closed: stop reading it
    }
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (::read(sfd.get(), &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGWINCH) {
          if (pty_master >= 0) copy_winsize(0, pty_master);
        } else {
          pidfd_send_signal(pidfd, static_cast<int>(si.ssi_signo));
        }
      }
    }
    if (fds[0].revents & POLLIN) break;
  }
  // Output the process wrote just before it exited.
  if (pty_master >= 0) {
    struct pollfd p = {pty_master, POLLIN, 0};
    while (::poll(&p, 1, 0) > 0 && (p.revents & POLLIN) && pump(pty_master, 1)) {
    }
  }
  raw.reset();
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace vsrv::runtime
