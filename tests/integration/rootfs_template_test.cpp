// create_busybox_rootfs: a complete, usable busybox tree, made atomically.
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <string>

#include "harness.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/rootfs/template.hpp"

using vsrv::rootfs::create_busybox_rootfs;
using vsrv::test::TempDir;

namespace {

std::string link_of(const std::string& path) {
  char buf[256] = {};
  ssize_t n = ::readlink(path.c_str(), buf, sizeof(buf) - 1);
  return n < 0 ? "" : std::string(buf, n);
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  REQUIRE(d != nullptr);
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(d);
  return out;
}

// Runs a shell command chrooted into root in a child; returns its stdout.
std::string run_chrooted(const std::string& root, const char* script, int* status) {
  vsrv::Pipe p = vsrv::Pipe::make();
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(p.write.get(), 1);
    if (::chroot(root.c_str()) < 0 || ::chdir("/") < 0) ::_exit(120);
    ::execl("/bin/sh", "sh", "-c", script, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  p.write.reset();
  std::string out;
  char buf[1024];
  ssize_t n;
  while ((n = ::read(p.read.get(), buf, sizeof(buf))) > 0) out.append(buf, n);
  ::waitpid(pid, status, 0);
  return out;
}

}  // namespace

TEST_CASE("busybox rootfs: layout, links, etc files, runs under chroot") {
  TempDir tmp("vsrv-tpl");
  std::string root = tmp.path() + "/templates/busybox/rootfs";  // parents are created
  create_busybox_rootfs(root);

  struct stat host, copy;
  REQUIRE(::stat("/bin/busybox", &host) == 0);
  REQUIRE(::lstat((root + "/bin/busybox").c_str(), &copy) == 0);
  CHECK(S_ISREG(copy.st_mode));
  CHECK((copy.st_mode & 07777) == 0755);
  CHECK(copy.st_size == host.st_size);

  CHECK(link_of(root + "/bin/sh") == "busybox");
  CHECK(link_of(root + "/usr/bin/wget") == "../../bin/busybox");
  CHECK(link_of(root + "/sbin/ifconfig") == "../bin/busybox");
  struct stat via_link;  // relative links resolve on the host too
  REQUIRE(::stat((root + "/usr/bin/wget").c_str(), &via_link) == 0);
  CHECK(via_link.st_ino == copy.st_ino);

  struct stat st;
  REQUIRE(::stat((root + "/tmp").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 01777);
  REQUIRE(::stat(root.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0755);
  for (const char* d :
       {"sbin", "usr/sbin", "etc", "proc", "sys", "dev", "root", "var/log", "run", "home"}) {
    INFO(d);
    CHECK((::stat((root + "/" + d).c_str(), &st) == 0 && S_ISDIR(st.st_mode)));
  }
  CHECK(vsrv::read_file(root + "/etc/passwd") ==
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
  CHECK(vsrv::read_file(root + "/etc/group") == "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n");
  CHECK(vsrv::read_file(root + "/etc/hosts").rfind("127.0.0.1 localhost\n", 0) == 0);

  // Nothing but the final directory is left next to it.
  CHECK(entries(tmp.path() + "/templates/busybox") == std::vector<std::string>{"rootfs"});

  int status = -1;
  std::string out = run_chrooted(root, "echo hello; id -un; ls /bin | grep -c .", &status);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(out.rfind("hello\nroot\n", 0) == 0);

  // busybox init's table: boot and shutdown scripts, no getty.
  CHECK(link_of(root + "/sbin/init") == "../bin/busybox");
  const std::string inittab = vsrv::read_file(root + "/etc/inittab");
  CHECK(inittab.find("\n::sysinit:/etc/init.d/rcS\n") != std::string::npos);
  CHECK(inittab.find("\n::shutdown:/etc/init.d/rcK\n") != std::string::npos);
  CHECK(inittab.find("respawn") == std::string::npos);
  CHECK(inittab.find("askfirst") == std::string::npos);
  // rcS starts S??* in order, rcK stops them in reverse.
  for (const char* s : {"S10one", "S20two"}) {
    vsrv::write_file_atomic(root + "/etc/init.d/" + s,
                            std::string("#!/bin/sh\necho ") + s + " $1\n", 0755);
  }
  vsrv::write_file_atomic(root + "/etc/init.d/S30off", "#!/bin/sh\necho never\n", 0644);
  out = run_chrooted(root, "/etc/init.d/rcS; /etc/init.d/rcK", &status);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(out == "S10one start\nS20two start\nS20two stop\nS10one stop\n");
}

TEST_CASE("busybox rootfs: an existing directory is refused and left alone") {
  TempDir tmp("vsrv-tpl");
  std::string root = tmp.path() + "/rootfs";
  vsrv::make_dirs(root);
  vsrv::write_file_atomic(root + "/keep", "mine");
  try {
    create_busybox_rootfs(root);
    FAIL("no error");
  } catch (const vsrv::Error& e) {
    CHECK(std::string(e.what()) == root + ": already exists");
  }
  CHECK(entries(root) == std::vector<std::string>{"keep"});
  CHECK(entries(tmp.path()) == std::vector<std::string>{"rootfs"});
}

TEST_CASE("busybox rootfs: a failure halfway leaves nothing behind") {
  TempDir tmp("vsrv-tpl");
  std::string root = tmp.path() + "/rootfs";
  // In a child whose files may not grow past 64 KiB, copying busybox fails
  // after the temporary directory was made and partly filled.
  vsrv::Pipe p = vsrv::Pipe::make();
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::string msg = "no error";
    ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {64 * 1024, 64 * 1024};
    ::setrlimit(RLIMIT_FSIZE, &lim);
    try {
      create_busybox_rootfs(root);
    } catch (const std::exception& e) {
      msg = e.what();
    }
    (void)!::write(p.write.get(), msg.data(), msg.size());
    ::_exit(0);
  }
  p.write.reset();
  std::string msg;
  char buf[512];
  ssize_t n;
  while ((n = ::read(p.read.get(), buf, sizeof(buf))) > 0) msg.append(buf, n);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(msg == "write bin/busybox: File too large");
  CHECK(entries(tmp.path()).empty());
}
