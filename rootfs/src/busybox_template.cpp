// The busybox template: a complete small root filesystem from the host's
// static busybox, assembled in a temporary sibling and renamed into place.
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/rootfs/template.hpp"

namespace vsrv::rootfs {
namespace {

constexpr const char* kBusybox = "/bin/busybox";

// A static binary has no PT_INTERP program header (64-bit ELF only).
bool is_static_elf(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  Elf64_Ehdr eh;
  if (::pread(fd.get(), &eh, sizeof(eh), 0) != static_cast<ssize_t>(sizeof(eh)) ||
      std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64) {
    return false;
  }
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    off_t off = static_cast<off_t>(eh.e_phoff + i * static_cast<uint64_t>(eh.e_phentsize));
    if (::pread(fd.get(), &ph, sizeof(ph), off) != static_cast<ssize_t>(sizeof(ph))) return false;
    if (ph.p_type == PT_INTERP) return false;
  }
  return true;
}

// Runs argv (argv[0] looked up in PATH); returns its stdout. Its stderr, and
// its stdout when not captured, go to our stderr so a CLI's stdout stays clean.
std::string run(const std::vector<std::string>& argv, bool capture) {
  Pipe out = Pipe::make();
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw SysError("fork for " + argv[0]);
  if (pid == 0) {
    ::dup2(capture ? out.write.get() : 2, 1);
    ::setenv("DEBIAN_FRONTEND", "noninteractive", 1);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "vsrv: exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  out.write.reset();
  std::string data;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(out.read.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw SysError("wait for " + argv[0]);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    throw Error(cmd + ": failed with " +
                (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                   : "signal " + std::to_string(WTERMSIG(status))));
  }
  return data;
}

void ensure_static_busybox() {
  if (is_static_elf(kBusybox)) return;
  run({"apt-get", "install", "-y", "busybox-static"}, false);
  if (!is_static_elf(kBusybox)) {
    throw Error("busybox-static installed, but /bin/busybox is still not a static binary");
  }
}

void write_new(int dir, const std::string& name, const std::string& data, mode_t mode) {
  UniqueFd fd(
      ::openat(dir, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd) throw SysError("create " + name);
  try {
    write_all(fd.get(), data.data(), data.size());
  } catch (const SysError& e) {
    throw SysError("write " + name, e.err());
  }
  if (::fchmod(fd.get(), mode) < 0) throw SysError("chmod " + name);
}

// "usr/bin/wget" -> "../../bin/busybox"; "bin/sh" -> "busybox".
std::string link_target(const std::string& applet) {
  auto slash = applet.rfind('/');
  if (slash == std::string::npos) return "bin/busybox";
  std::string dir = applet.substr(0, slash);
  if (dir == "bin") return "busybox";
  std::string up;
  for (char c : dir + "/") {
    if (c == '/') up += "../";
  }
  return up + "bin/busybox";
}

void fill(const std::string& root) {
  UniqueFd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) throw SysError("open " + root);
  const struct {
    const char* path;
    mode_t mode;
  } dirs[] = {{"bin", 0755},      {"sbin", 0755}, {"usr", 0755},  {"usr/bin", 0755},
              {"usr/sbin", 0755}, {"etc", 0755},  {"proc", 0555}, {"sys", 0555},
              {"dev", 0755},      {"tmp", 01777}, {"root", 0700}, {"var", 0755},
              {"var/log", 0755},  {"run", 0755},  {"home", 0755}, {"etc/init.d", 0755}};
  for (const auto& d : dirs) {
    if (::mkdirat(dir.get(), d.path, d.mode) < 0) throw SysError(std::string("mkdir ") + d.path);
    if (::fchmodat(dir.get(), d.path, d.mode, 0) < 0)
      throw SysError(std::string("chmod ") + d.path);
  }

  write_new(dir.get(), "bin/busybox", read_file(kBusybox), 0755);
  for (const auto& line : split(run({kBusybox, "--list-full"}, true), '\n')) {
    std::string applet = trim(line);
    while (!applet.empty() && applet.front() == '/') applet.erase(0, 1);
    if (applet.empty() || applet == "bin/busybox" || applet.find("..") != std::string::npos) {
      continue;
    }
    auto slash = applet.rfind('/');
    if (slash != std::string::npos) make_dirs(root + "/" + applet.substr(0, slash));
    if (::symlinkat(link_target(applet).c_str(), dir.get(), applet.c_str()) < 0 &&
        errno != EEXIST) {
      throw SysError("symlink " + applet);
    }
  }

  write_new(dir.get(), "etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\n"
            "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
            0644);
  write_new(dir.get(), "etc/group", "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n", 0644);
  write_new(dir.get(), "etc/hosts", "127.0.0.1 localhost\n::1 localhost\n", 0644);

  // busybox init (/sbin/init): boot and shutdown scripts only, no getty
  // (a server has no virtual consoles). It halts on SIGUSR1, reboots on
  // SIGTERM and powers off on SIGUSR2.
  write_new(dir.get(), "etc/inittab",
            "# busybox init, for servers whose process is /sbin/init: set\n"
            "# vsrv: {stopSignal: SIGUSR1} (USR1 halts it, TERM reboots, USR2 powers off)\n"
            "# and restart: on-reboot for `reboot` inside to start the server again.\n"
            "::sysinit:/etc/init.d/rcS\n"
            "::shutdown:/etc/init.d/rcK\n",
            0644);
  write_new(dir.get(), "etc/init.d/rcS",
            "#!/bin/sh\n"
            "# At boot: every /etc/init.d/S??* script, in order, with \"start\".\n"
            "for s in /etc/init.d/S??*; do\n"
            "  [ -x \"$s\" ] && \"$s\" start\n"
            "done\n"
            "exit 0\n",
            0755);
  write_new(dir.get(), "etc/init.d/rcK",
            "#!/bin/sh\n"
            "# At halt or reboot: the same scripts in reverse order, with \"stop\".\n"
            "for s in $(ls -r /etc/init.d/S??* 2>/dev/null); do\n"
            "  [ -x \"$s\" ] && \"$s\" stop\n"
            "done\n"
            "exit 0\n",
            0755);
}

}  // namespace

void create_busybox_rootfs(const std::string& dir) {
  std::string target = dir;
  while (target.size() > 1 && target.back() == '/') target.pop_back();
  if (target.empty()) throw Error(ErrorKind::kUsage, "busybox rootfs: empty directory name");
  struct stat st;
  if (::lstat(target.c_str(), &st) == 0) throw Error(target + ": already exists");
  if (errno != ENOENT) throw SysError("stat " + target);

  ensure_static_busybox();
  auto slash = target.rfind('/');
  if (slash != std::string::npos && slash > 0) make_dirs(target.substr(0, slash));

  std::string tmp = target + ".tmp-XXXXXX";
  if (!::mkdtemp(tmp.data())) throw SysError("create a temporary directory next to " + target);
  try {
    if (::chmod(tmp.c_str(), 0755) < 0) throw SysError("chmod " + tmp);
    fill(tmp);
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) < 0) {
      throw SysError("rename " + tmp + " to " + target);
    }
  } catch (...) {
    try {
      remove_tree(tmp);
    } catch (...) {
    }
    throw;
  }
}

}  // namespace vsrv::rootfs
