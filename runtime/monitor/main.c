// vsrv-monitor: the per-server monitor as a small static program of its own.
// `vsrv create` forks, launches the server's init from the fork (so the init
// is its child and it is the subreaper), then executes this program in that
// fork. One runs for every detached server, so it is written to be small:
// C linked statically against musl, no heap, one small static buffer. Its text is
// shared by every monitor on the host; what each one keeps of its own is a
// few pages of data and stack (a static glibc C++ build kept 52 KiB, a fork
// of vsrv ~700 KiB).
//
// It copies the init's output to the console log, reaps the init, writes its
// exit code (or 128 + signal) to EXIT_PATH atomically and reaps orphans.
// With a restart policy, an exit the policy restarts instead executes the
// command after POLICY (vsrv ... relaunch ID) in this same process, with
// LOG_FD and the exit code appended: vsrv launches the init again and
// executes vsrv-monitor anew, or records the exit code when the server is
// being stopped or deleted.
//   on-reboot: the init died by SIGHUP, the kernel's way of saying that
//              reboot(2) (RB_AUTOBOOT) was called in its pid namespace;
//   always:    any exit (an init that lived under a second waits a second).
//
// Usage (from vsrv only):
//   vsrv-monitor EXIT_PATH INIT_PIDFD OUTPUT_FD LOG_FD [POLICY VSRV ARG...]
// Inherited fds: the init's pidfd, its output (pipe or pty master, -1: none)
// and the console log (O_APPEND, -1: none).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int fd_arg(const char* s) {
  char* end = NULL;
  long v = strtol(s, &end, 10);
  return *s && end && *end == '\0' && v >= -1 && v < (1 << 20) ? (int)v : -2;
}

static void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // a full disk must not stop us from reaping the init
    p += w;
    n -= (size_t)w;
  }
}

// The one buffer: in the page the program's data and bss already dirty, so
// that it costs no page of its own (a stack buffer touched one more page).
static char buf[2048];

// Copies what is readable now; 0 at EOF or error (EIO on a pty whose slave
// closed). The monitor's memory does not grow with the output.
static int copy_available(int from, int to) {
  ssize_t n = read(from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 1;
  if (n <= 0) return 0;
  if (to >= 0) write_all(to, buf, (size_t)n);
  return 1;
}

// EXIT_PATH written through ".NAME.tmp" in the same dir and renamed, as
// vsrv's write_file_atomic does; the server may have been deleted meanwhile.
static void write_exit(const char* path, int code) {
  const char* slash = strrchr(path, '/');
  size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%.*s.%s.tmp", (int)dir_len, path, path + dir_len) >=
      (int)sizeof tmp)
    return;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  char text[16];
  int n = snprintf(text, sizeof text, "%d\n", code);
  write_all(fd, text, (size_t)n);
  close(fd);
  if (rename(tmp, path) < 0) unlink(tmp);
}

// Straight to the kernel: the vDSO is gone (unmap_vdso).
static double now_s(void) {
  struct timespec ts;
  syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// The kernel maps the vDSO and its data pages into every process, on x86-64
// in a slot of the address space of their own: the page-table pages that
// reach them (12 KiB) are a third of a monitor's. It makes no vDSO call, so
// it unmaps them, which frees those pages.
static void unmap_vdso(void) {
  char* maps = buf;  // a dozen lines
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, maps, sizeof buf - 1);
  close(fd);
  if (n <= 0) return;
  maps[n] = '\0';
  for (char* line = maps; line && *line;) {
    char* next = strchr(line, '\n');
    if (next) *next++ = '\0';
    const char* name = strchr(line, '[');  // not strstr: musl's keeps 2 KiB of tables on the stack
    if (name && (strncmp(name, "[vdso]", 6) == 0 || strncmp(name, "[vvar", 5) == 0)) {
      char* end = NULL;
      unsigned long from = strtoul(line, &end, 16);
      if (end && *end == '-') {
        unsigned long to = strtoul(end + 1, NULL, 16);
        if (to > from) munmap((void*)from, to - from);
      }
    }
    line = next;
  }
}

static int restart_wanted(const char* policy, const siginfo_t* info) {
  if (strcmp(policy, "always") == 0) return 1;
  int killed = info->si_code == CLD_KILLED || info->si_code == CLD_DUMPED;
  return strcmp(policy, "on-reboot") == 0 && killed && info->si_status == SIGHUP;
}

// Executes argv[first..] with LOG_FD and the exit code appended; returns
// only when that failed.
static void relaunch(char** argv, int first, int argc, int log, int code) {
  static char log_text[16], code_text[16];
  char* args[64];
  int n = 0;
  for (int i = first; i < argc && n < 61; ++i) args[n++] = argv[i];
  snprintf(log_text, sizeof log_text, "%d", log);
  snprintf(code_text, sizeof code_text, "%d", code);
  args[n++] = log_text;
  args[n++] = code_text;
  args[n] = NULL;
  char* envp[] = {NULL};
  execve(args[0], args, envp);
}

int main(int argc, char** argv) {
  if (argc != 5 && argc < 7) return 2;
  int pidfd = fd_arg(argv[2]), out = fd_arg(argv[3]), log = fd_arg(argv[4]);
  if (pidfd < 0 || out < -1 || log < -1) return 2;
  const char* policy = argc >= 7 ? argv[5] : NULL;
  unmap_vdso();
  const double started = now_s();
  struct pollfd fds[2] = {{pidfd, POLLIN, 0}, {out, POLLIN, 0}};
  int code = 0, restart = 0;
  for (;;) {
    if (poll(fds, 2, -1) < 0) {  // poll skips a negative fd
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
        !copy_available(fds[1].fd, log))
      fds[1].fd = -1;
    if (!(fds[0].revents & POLLIN)) continue;
    siginfo_t info;
    memset(&info, 0, sizeof info);
    if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED) == 0) {
      code = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
      restart = policy && restart_wanted(policy, &info);
    }
    break;
  }
  // Whatever the init wrote last; other processes may still hold the pipe,
  // so read only what is there now.
  if (fds[1].fd >= 0) {
    struct pollfd p = {fds[1].fd, POLLIN, 0};
    while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN) && copy_available(fds[1].fd, log)) {
    }
  }
  // Orphans reparented to us (servers without a pid namespace).
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  if (restart) {
    close(pidfd);
    if (out >= 0) close(out);
    if (now_s() - started < 1.0) sleep(1);  // no tight loop of an init that fails at once
    relaunch(argv, 6, argc, log, code);
  }
  write_exit(argv[1], code);
  return 0;
}
