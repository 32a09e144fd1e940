#include "monitor.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"

namespace vsrv::runtime {

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

namespace {

// Copies what is readable now; false at EOF or error. A fixed buffer of one
// page: the monitor's memory does not grow with the output.
bool copy_available(int from, int to) {
  char buf[4096];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;  // EOF, or EIO on a pty whose slave closed
  if (to >= 0) {
    try {
      write_all(to, buf, static_cast<size_t>(n));
    } catch (...) {
      // A full disk must not stop us from reaping the init.
    }
  }
  return true;
}

}  // namespace

void exec_monitor_program(const std::string& exit_path, int init_pidfd, int output_fd, int log_fd) {
  char self_buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", self_buf, sizeof self_buf - 1);
  if (n <= 0) return;
  std::string self(self_buf, static_cast<size_t>(n));
  std::string program = self.substr(0, self.rfind('/') + 1) + "vsrv-monitor";
#ifdef VSRV_MONITOR_INSTALLED
  if (::access(program.c_str(), X_OK) != 0) program = VSRV_MONITOR_INSTALLED;
#endif
  if (::access(program.c_str(), X_OK) != 0) return;
  for (int fd : {init_pidfd, output_fd, log_fd})
    if (fd >= 0) ::fcntl(fd, F_SETFD, 0);
  std::string args[] = {"vsrv-monitor", exit_path, std::to_string(init_pidfd),
                        std::to_string(output_fd), std::to_string(log_fd)};
  char* argv[] = {args[0].data(), args[1].data(), args[2].data(),
                  args[3].data(), args[4].data(), nullptr};
  char* envp[] = {nullptr};
  ::execve(program.c_str(), argv, envp);
  for (int fd : {init_pidfd, output_fd, log_fd})
    if (fd >= 0) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

[[noreturn]] void monitor_main(const std::string& exit_path, int init_pidfd, int output_fd,
                               int log_fd, const Restart& restart) {
  ::malloc_trim(0);
  UniqueFd log(log_fd);
  struct pollfd fds[2] = {{init_pidfd, POLLIN, 0}, {output_fd, POLLIN, 0}};
  int status = 0;
  for (;;) {
    int n = ::poll(fds, 2, -1);  // poll skips a negative fd
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (!copy_available(fds[1].fd, log.get())) fds[1].fd = -1;
    }
    if (!(fds[0].revents & POLLIN)) continue;
    siginfo_t info = {};
    if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(fds[0].fd), &info, WEXITED) <
        0) {
      break;
    }
    status = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
    std::optional<Relaunched> next = restart ? restart(info) : std::nullopt;
    if (!next) break;
    ::close(fds[0].fd);
    fds[0].fd = next->pidfd;
    if (next->output_fd >= 0) {
      if (output_fd >= 0) ::close(output_fd);
      output_fd = fds[1].fd = next->output_fd;
    } else if (output_fd >= 0) {
      fds[1].fd = output_fd;
    }
  }
  output_fd = fds[1].fd;
  // Whatever the init wrote last; other processes may still hold the pipe,
  // so read only what is there now.
  if (output_fd >= 0) {
    struct pollfd p = {output_fd, POLLIN, 0};
    while (::poll(&p, 1, 0) > 0 && (p.revents & POLLIN) && copy_available(output_fd, log.get())) {
    }
  }
  try {
    write_file_atomic(exit_path, std::to_string(status) + "\n", 0600, false);
  } catch (...) {
    // The server was deleted meanwhile.
  }
  // Orphans reparented to us (servers without a pid namespace).
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  ::_exit(0);
}

}  // namespace vsrv::runtime
