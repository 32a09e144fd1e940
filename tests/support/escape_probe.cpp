// vsrv-escape-probe: a static helper the escape regression tests copy into a
// server's rootfs. It performs from the inside what an attacker would try and
// prints one "key=value" line per observation (errno names, counts), so the
// tests can assert on exact outcomes. Subcommands:
//   self                      fds (0-2 expected), cwd and whether it is inside
//                             the root, CapInh/CapAmb
//   syscalls                  keyctl, add_key, bpf, mount, unshare(NEWUSER),
//                             kexec_load, ... : errno name or "ok"
//   read PATH...              bytes readable from each path, or errno name
//   stat PATH...              "stat:PATH=c:1:3" (device), f, d, l, or errno name
//   ipc                       shmmax and msgmax of the ipc namespace (IPC_INFO)
//   write PATH DATA           open for writing and write: "ok" or errno name
//   mkdir PATH                "ok" or errno name
//   watch REPORT STOP DEV INO attack every other process until file STOP
//                             exists (CVE-2019-5736 / CVE-2016-9962 class),
//                             then write the counts to REPORT
//   swap A B STOP REPORT      renameat2(RENAME_EXCHANGE) A and B until STOP
//                             exists, then write the count to REPORT
// Static and libc-only on purpose: it runs in a busybox rootfs. Never run it
// on the host outside a server: it really mounts, unshares and writes.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/kexec.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

std::string err_name(int e) {
  const char* n = strerrorname_np(e);
  return n ? n : "E" + std::to_string(e);
}

// "ok" when rc >= 0, otherwise the errno name.
std::string outcome(long rc) {
  return rc >= 0 ? "ok" : err_name(errno);
}

bool exists(const char* path) {
  struct stat st;
  return ::stat(path, &st) == 0;
}

std::vector<int> numeric_entries(const char* dir) {
  std::vector<int> out;
  DIR* d = ::opendir(dir);
  if (!d) return out;
  int skip = ::dirfd(d);
  while (auto* e = ::readdir(d)) {
    char* end = nullptr;
    long v = ::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0') continue;
    if (strcmp(dir, "/proc/self/fd") == 0 && v == skip) continue;
    out.push_back(static_cast<int>(v));
  }
  ::closedir(d);
  return out;
}

std::string status_field(const char* key) {
  FILE* f = ::fopen("/proc/self/status", "re");
  if (!f) return "?";
  char line[512];
  std::string out = "?";
  size_t n = strlen(key);
  while (::fgets(line, sizeof line, f)) {
    if (strncmp(line, key, n) == 0 && line[n] == ':') {
      char* v = line + n + 1;
      while (*v == ' ' || *v == '\t') ++v;
      v[strcspn(v, "\n")] = '\0';
      out = v;
    }
  }
  ::fclose(f);
  return out;
}

int cmd_self() {
  for (int fd : numeric_entries("/proc/self/fd")) printf("fd=%d\n", fd);
  char cwd[PATH_MAX];
  if (!::getcwd(cwd, sizeof cwd)) {
    printf("cwd=%s\ncwd-inside=no\n", err_name(errno).c_str());
  } else {
    // Inside the root: the path getcwd reports leads, from our root, to the
    // very directory we are in.
    struct stat here, there;
    bool inside = cwd[0] == '/' && ::stat(".", &here) == 0 && ::stat(cwd, &there) == 0 &&
                  here.st_dev == there.st_dev && here.st_ino == there.st_ino;
    printf("cwd=%s\ncwd-inside=%s\n", cwd, inside ? "yes" : "no");
  }
  printf("capinh=%s\ncapamb=%s\ncapbnd=%s\ncapprm=%s\ncapeff=%s\nuid=%d\n",
         status_field("CapInh").c_str(), status_field("CapAmb").c_str(),
         status_field("CapBnd").c_str(), status_field("CapPrm").c_str(),
         status_field("CapEff").c_str(), static_cast<int>(::getuid()));
  return 0;
}

int cmd_syscalls() {
  std::map<std::string, std::string> r;
  r["keyctl"] = outcome(::syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, "probe"));
  r["add_key"] = outcome(::syscall(SYS_add_key, "user", "probe", "x", 1, -3 /* session */));
  r["request_key"] = outcome(::syscall(SYS_request_key, "user", "probe", nullptr, 0));
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = 4;
  attr.max_entries = 1;
  long bpf = ::syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
  r["bpf"] = outcome(bpf);
  ::mkdir("/tmp", 01777);
  r["mount"] = outcome(::mount("tmpfs", "/tmp", "tmpfs", 0, nullptr));
  r["umount"] = outcome(::umount2("/proc", MNT_DETACH));
  r["unshare_user"] = outcome(::unshare(CLONE_NEWUSER));
  r["unshare_mnt"] = outcome(::unshare(CLONE_NEWNS));
  r["kexec_load"] = outcome(::syscall(SYS_kexec_load, 0, 0, nullptr, KEXEC_ARCH_DEFAULT));
  r["kexec_file_load"] = outcome(::syscall(SYS_kexec_file_load, -1, -1, 0, "", 0));
  r["init_module"] = outcome(::syscall(SYS_init_module, nullptr, 0, ""));
  r["open_by_handle_at"] = outcome(::syscall(SYS_open_by_handle_at, AT_FDCWD, nullptr, 0));
  r["perf_event_open"] = outcome(::syscall(SYS_perf_event_open, nullptr, 0, -1, -1, 0));
  r["userfaultfd"] = outcome(::syscall(SYS_userfaultfd, 0));
  r["pivot_root"] = outcome(::syscall(SYS_pivot_root, "/", "/"));
  r["setns"] = outcome(::setns(0, 0));
  for (const auto& [k, v] : r) printf("%s=%s\n", k.c_str(), v.c_str());
  return 0;
}

int cmd_read(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    int fd = ::open(argv[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      printf("%s=%s\n", argv[i], err_name(errno).c_str());
      continue;
    }
    char buf[4096];
    long total = 0;
    ssize_t n;
    while (total < (1 << 20) && (n = ::read(fd, buf, sizeof buf)) > 0) total += n;
    if (n < 0 && total == 0)
      printf("%s=%s\n", argv[i], err_name(errno).c_str());
    else
      printf("%s=%ld\n", argv[i], total);
    ::close(fd);
  }
  return 0;
}

// "path=c:MAJOR:MINOR" for devices, "path=f"/"d"/"l"/... otherwise, or the errno name.
int cmd_stat(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    struct stat st;
    if (::lstat(argv[i], &st) < 0) {
      printf("stat:%s=%s\n", argv[i], err_name(errno).c_str());
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      printf("stat:%s=%c:%u:%u\n", argv[i], S_ISCHR(st.st_mode) ? 'c' : 'b', major(st.st_rdev),
             minor(st.st_rdev));
    } else {
      printf("stat:%s=%c\n", argv[i],
             S_ISREG(st.st_mode)   ? 'f'
             : S_ISDIR(st.st_mode) ? 'd'
             : S_ISLNK(st.st_mode) ? 'l'
                                   : 'o');
    }
  }
  return 0;
}

// The ipc namespace's limits as the kernel applies them (not read from /proc).
int cmd_ipc() {
  struct shminfo shm = {};
  struct msginfo msg = {};
  if (::shmctl(0, IPC_INFO, reinterpret_cast<struct shmid_ds*>(&shm)) >= 0)
    printf("shmmax=%lu\n", static_cast<unsigned long>(shm.shmmax));
  if (::msgctl(0, IPC_INFO, reinterpret_cast<struct msqid_ds*>(&msg)) >= 0)
    printf("msgmax=%d\n", msg.msgmax);
  return 0;
}

int cmd_write(const char* path, const char* data) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    printf("write=%s\n", err_name(errno).c_str());
    return 0;
  }
  ssize_t n = ::write(fd, data, strlen(data));
  printf("write=%s\n", n < 0 ? err_name(errno).c_str() : "ok");
  ::close(fd);
  return 0;
}

int cmd_mkdir(const char* path) {
  printf("mkdir=%s\n", outcome(::mkdir(path, 0755)).c_str());
  return 0;
}

void write_report(const char* path, const std::map<std::string, long>& counts) {
  std::string tmp = std::string(path) + ".tmp";
  FILE* f = ::fopen(tmp.c_str(), "we");
  if (!f) return;
  for (const auto& [k, v] : counts) fprintf(f, "%s=%ld\n", k.c_str(), v);
  ::fclose(f);
  ::rename(tmp.c_str(), path);
}

// Reads up to n bytes of path; true when anything could be read.
bool can_read(const std::string& path, size_t n) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[64];
  ssize_t got = ::read(fd, buf, n < sizeof buf ? n : sizeof buf);
  ::close(fd);
  return got > 0;
}

// Everything CVE-2019-5736 and CVE-2016-9962 try against a process of the
// server that is not us: its exe for writing (now, and later through an
// O_PATH handle), ptrace, environ, mem, its fds. Counts what succeeded.
int cmd_watch(const char* report, const char* stop, dev_t vsrv_dev, ino_t vsrv_ino) {
  std::map<std::string, long> c;
  for (const char* k :
       {"scans", "joining-seen", "reached-vsrv", "exe-write-opened", "ptrace-ok", "environ-read",
        "mem-read", "fd-listed", "fd-link-read", "fd-opened", "kept-write-opened", "kept-written"})
    c[k] = 0;
  std::vector<int> kept;  // O_PATH handles of exe links that are vsrv
  std::set<int> reached_pids;
  pid_t self = ::getpid();
  while (!exists(stop)) {
    ++c["scans"];
    for (int pid : numeric_entries("/proc")) {
      if (pid == self || pid == 1) continue;
      std::string base = "/proc/" + std::to_string(pid);
      std::string exe = base + "/exe";
      // Overwrite attempt, whatever the process is.
      int w = ::open(exe.c_str(), O_WRONLY | O_CLOEXEC);
      if (w >= 0) {
        ++c["exe-write-opened"];
        (void)!::write(w, "PWNED", 5);
        ::close(w);
      }
      struct stat st;
      bool denied = ::stat(exe.c_str(), &st) < 0 && errno == EACCES;
      bool is_vsrv = !denied && ::stat(exe.c_str(), &st) == 0 && st.st_dev == vsrv_dev &&
                     st.st_ino == vsrv_ino;
      if (!denied && !is_vsrv) continue;  // a server process after its execve: legitimately ours
      if (denied) ++c["joining-seen"];
      if (is_vsrv && reached_pids.insert(pid).second) ++c["reached-vsrv"];
      if (is_vsrv && kept.size() < 64) {
        int h = ::open(exe.c_str(), O_PATH | O_CLOEXEC);
        if (h >= 0) kept.push_back(h);
      }
      if (::ptrace(PTRACE_SEIZE, pid, nullptr, nullptr) == 0) {
        ++c["ptrace-ok"];
        ::ptrace(PTRACE_INTERRUPT, pid, nullptr, nullptr);
        ::waitpid(pid, nullptr, __WALL);
        ::ptrace(PTRACE_DETACH, pid, nullptr, nullptr);
      }
      if (can_read(base + "/environ", 64)) ++c["environ-read"];
      if (can_read(base + "/mem", 8)) ++c["mem-read"];
      std::string fd_dir = base + "/fd";
      DIR* d = ::opendir(fd_dir.c_str());
      if (d) {
        ++c["fd-listed"];
        while (auto* e = ::readdir(d)) {
          char target[PATH_MAX];
          std::string link = fd_dir + "/" + e->d_name;
          if (e->d_name[0] == '.') continue;
          if (::readlink(link.c_str(), target, sizeof target) > 0) ++c["fd-link-read"];
          int stolen = ::open(link.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
          if (stolen >= 0) {
            ++c["fd-opened"];
            ::close(stolen);
          }
        }
        ::closedir(d);
      }
    }
  }
  // Later, when nothing runs the binary any more: reopen the kept handles.
  for (int h : kept) {
    std::string via = "/proc/self/fd/" + std::to_string(h);
    int w = ::open(via.c_str(), O_WRONLY | O_CLOEXEC);
    if (w < 0) continue;
    ++c["kept-write-opened"];
    if (::write(w, "PWNED", 5) == 5) ++c["kept-written"];
    ::close(w);
  }
  write_report(report, c);
  return 0;
}

int cmd_swap(const char* a, const char* b, const char* stop, const char* report) {
  std::map<std::string, long> c{{"swaps", 0}, {"errors", 0}};
  while (!exists(stop)) {
    for (int i = 0; i < 64; ++i) {
      if (::syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0)
        ++c["swaps"];
      else
        ++c["errors"];
    }
  }
  write_report(report, c);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "self") return cmd_self();
  if (cmd == "syscalls") return cmd_syscalls();
  if (cmd == "read") return cmd_read(argc - 2, argv + 2);
  if (cmd == "stat") return cmd_stat(argc - 2, argv + 2);
  if (cmd == "ipc") return cmd_ipc();
  if (cmd == "write" && argc == 4) return cmd_write(argv[2], argv[3]);
  if (cmd == "mkdir" && argc == 3) return cmd_mkdir(argv[2]);
  if (cmd == "watch" && argc == 6)
    return cmd_watch(argv[2], argv[3], static_cast<dev_t>(strtoull(argv[4], nullptr, 10)),
                     static_cast<ino_t>(strtoull(argv[5], nullptr, 10)));
  if (cmd == "swap" && argc == 6) return cmd_swap(argv[2], argv[3], argv[4], argv[5]);
  fprintf(stderr,
          "usage: vsrv-escape-probe self|syscalls|read|stat|ipc|write|mkdir|watch|swap ...\n");
  return 2;
}
