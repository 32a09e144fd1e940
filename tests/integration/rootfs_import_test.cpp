// import_archive and copy_directory: what a template is made of, kept
// exactly (owners, modes, times, xattrs, hard links, devices), and hostile
// archives that cannot put anything outside the target.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "harness.hpp"
#include "harness_tar.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/rootfs/template.hpp"

using vsrv::rootfs::copy_directory;
using vsrv::rootfs::import_archive;
using vsrv::test::TarWriter;
using vsrv::test::TempDir;

namespace {

struct stat lstat_of(const std::string& path) {
  struct stat st;
  INFO(path);
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::vector<std::string> names_in(const std::string& dir) {
  return vsrv::list_dir(dir);
}

std::string xattr_of(const std::string& path, const char* key) {
  char buf[256];
  ssize_t n = ::lgetxattr(path.c_str(), key, buf, sizeof buf);
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

std::string link_of(const std::string& path) {
  char buf[256];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

// security.capability for cap_net_raw+ep (vfs_cap_data, revision 2).
std::string net_raw_capability() {
  const uint32_t words[5] = {0x02000001u, 1u << 13, 0, 0, 0};
  return std::string(reinterpret_cast<const char*>(words), sizeof words);
}

// An archive with one entry of every kind, metadata that must survive.
TarWriter every_kind() {
  TarWriter t;
  t.dir("./", {0755, 0, 0, 1600000000});
  t.dir("etc", {0750, 0, 42, 1600000001});
  t.file("etc/motd", "hello\n", {0640, 1000, 42, 1600000002, {{"user.origin", "tar"}}});
  t.file("bin/ping", "ELF",
         {04755, 0, 0, 1600000003, {{"security.capability", net_raw_capability()}}});
  t.hardlink("bin/ping6", "bin/ping");
  t.symlink("bin/sh", "busybox");
  t.device("dev/null", '3', 1, 3, {0666});
  t.device("dev/loop9", '4', 7, 9, {0660, 0, 6});
  t.device("run/fifo", '6', 0, 0, {0620, 0, 5});
  std::string long_name(150, 'n');
  t.file("deep/" + long_name, "long", {0600});
  return t;
}

void check_every_kind(const std::string& r) {
  CHECK((lstat_of(r).st_mode & 07777) == 0755);
  CHECK(lstat_of(r).st_mtime == 1600000000);
  struct stat etc = lstat_of(r + "/etc");
  CHECK(S_ISDIR(etc.st_mode));
  CHECK((etc.st_mode & 07777) == 0750);
  CHECK(etc.st_gid == 42);
  CHECK(etc.st_mtime == 1600000001);  // set after its children were made
  struct stat motd = lstat_of(r + "/etc/motd");
  CHECK((motd.st_mode & 07777) == 0640);
  CHECK(motd.st_uid == 1000);
  CHECK(motd.st_gid == 42);
  CHECK(motd.st_mtime == 1600000002);
  CHECK(vsrv::read_file(r + "/etc/motd") == "hello\n");
  CHECK(xattr_of(r + "/etc/motd", "user.origin") == "tar");
  struct stat ping = lstat_of(r + "/bin/ping");
  CHECK((ping.st_mode & 07777) == 04755);  // set-id bits survive the chown
  CHECK(ping.st_nlink == 2);
  CHECK(lstat_of(r + "/bin/ping6").st_ino == ping.st_ino);
  // A chown drops file capabilities: they must be set after it.
  CHECK(xattr_of(r + "/bin/ping", "security.capability") == net_raw_capability());
  CHECK(link_of(r + "/bin/sh") == "busybox");
  struct stat null = lstat_of(r + "/dev/null");
  CHECK(S_ISCHR(null.st_mode));
  CHECK(null.st_rdev == makedev(1, 3));
  CHECK((null.st_mode & 07777) == 0666);
  struct stat loop = lstat_of(r + "/dev/loop9");
  CHECK(S_ISBLK(loop.st_mode));
  CHECK(loop.st_rdev == makedev(7, 9));
  CHECK((loop.st_mode & 07777) == 0660);
  CHECK(loop.st_gid == 6);
  struct stat fifo = lstat_of(r + "/run/fifo");
  CHECK(S_ISFIFO(fifo.st_mode));
  CHECK(fifo.st_gid == 5);
  CHECK(vsrv::read_file(r + "/deep/" + std::string(150, 'n')) == "long");
}

}  // namespace

TEST_CASE("import keeps every kind of entry, whatever the compression", "[rootfs][import]") {
  TempDir tmp;
  for (const char* compressor : {"", "gzip", "xz", "zstd", "bzip2"}) {
    SECTION(std::string("compressed with ") + (*compressor ? compressor : "nothing")) {
      std::string archive = tmp.path() + "/a.tar";
      every_kind().write(archive, compressor);
      REQUIRE(vsrv::test::compression_of(archive) == compressor);
      std::string dst = tmp.path() + "/root";
      uint64_t last = 0, total = 0;
      int calls = 0;
      import_archive(archive, dst, [&](uint64_t done, uint64_t of) {
        CHECK(done >= last);
        last = done;
        total = of;
        ++calls;
      });
      check_every_kind(dst);
      struct stat st = lstat_of(archive);
      CHECK(calls > 0);
      CHECK(total == static_cast<uint64_t>(st.st_size));
      CHECK(last == total);
    }
  }
}

TEST_CASE("hostile entries land inside the target or fail", "[rootfs][import][security]") {
  TempDir tmp;
  const std::string outside = tmp.path() + "/outside";
  vsrv::make_dirs(outside, 0755);
  vsrv::write_file_atomic(outside + "/target", "untouched", 0644);
  const std::string dst = tmp.path() + "/root";

  SECTION("absolute names and .. stay below the root") {
    TarWriter t;
    t.file("/abs", "a");
    t.file("../../../dotdot", "b");
    t.file("x/../../y", "c");
    t.write(tmp.path() + "/t.tar");
    import_archive(tmp.path() + "/t.tar", dst, nullptr);
    CHECK(vsrv::read_file(dst + "/abs") == "a");
    CHECK(vsrv::read_file(dst + "/dotdot") == "b");
    CHECK(vsrv::read_file(dst + "/y") == "c");
    CHECK_FALSE(exists(tmp.path() + "/dotdot"));
    CHECK_FALSE(exists("/abs"));
  }
  SECTION("a symlink made by the archive does not lead later entries out") {
    TarWriter t;
    t.symlink("lnk", outside);  // absolute: resolved inside the root
    t.file("lnk/owned", "x");
    t.symlink("up", "../../../..");  // relative: stops at the root
    t.file("up/escaped", "y");
    t.write(tmp.path() + "/t.tar");
    import_archive(tmp.path() + "/t.tar", dst, nullptr);
    CHECK_FALSE(exists(outside + "/owned"));
    CHECK(vsrv::read_file(dst + outside + "/owned") == "x");
    CHECK_FALSE(exists(tmp.path() + "/escaped"));
    CHECK(vsrv::read_file(dst + "/escaped") == "y");
  }
  SECTION("an entry replaces a symlink instead of writing through it") {
    TarWriter t;
    t.symlink("evil", outside + "/target");
    t.file("evil", "replaced");
    t.write(tmp.path() + "/t.tar");
    import_archive(tmp.path() + "/t.tar", dst, nullptr);
    CHECK(vsrv::read_file(outside + "/target") == "untouched");
    CHECK(S_ISREG(lstat_of(dst + "/evil").st_mode));
    CHECK(vsrv::read_file(dst + "/evil") == "replaced");
  }
  SECTION("a hard link to a host file fails and leaves nothing") {
    struct stat before = lstat_of(outside + "/target");
    TarWriter t;
    t.file("fine", "ok");
    t.hardlink("h", outside + "/target");
    t.write(tmp.path() + "/t.tar");
    CHECK_THROWS_AS(import_archive(tmp.path() + "/t.tar", dst, nullptr), vsrv::Error);
    CHECK_FALSE(exists(dst));
    CHECK(lstat_of(outside + "/target").st_nlink == before.st_nlink);
  }
  SECTION("symlinked parents, nested and chained, resolve inside the root") {
    TarWriter t;
    t.dir("a");
    t.symlink("a/b", "../../..");  // a/b/.. above the root
    t.file("a/b/c/esc", "1");      // parents made through the link
    t.symlink("l1", "l2");
    t.symlink("l2", outside);  // l1 -> l2 -> /outside path
    t.file("l1/chained", "2");
    t.symlink("devdir", outside);
    t.device("devdir/null", '3', 1, 3, {0666});
    t.dir("devdir/sub");
    t.dir("../../escdir");
    t.write(tmp.path() + "/t.tar", "zstd");
    import_archive(tmp.path() + "/t.tar", dst, nullptr);
    CHECK(vsrv::read_file(dst + "/c/esc") == "1");
    CHECK(vsrv::read_file(dst + outside + "/chained") == "2");
    CHECK(S_ISCHR(lstat_of(dst + outside + "/null").st_mode));
    CHECK(S_ISDIR(lstat_of(dst + outside + "/sub").st_mode));
    CHECK(S_ISDIR(lstat_of(dst + "/escdir").st_mode));
    CHECK_FALSE(exists(tmp.path() + "/escdir"));
    CHECK_FALSE(exists(tmp.path() + "/c"));
  }
  SECTION("hard links: absolute and .. names resolve inside; a link to a symlink is the symlink") {
    TarWriter t;
    t.file("etc/motd", "m");
    t.hardlink("abs", "/etc/motd");
    t.hardlink("dotdot", "../../etc/motd");
    t.symlink("s", outside + "/target");
    t.hardlink("h", "s");
    t.symlink("d", outside);
    t.hardlink("d/named-through-link", "etc/motd");
    t.write(tmp.path() + "/t.tar");
    import_archive(tmp.path() + "/t.tar", dst, nullptr);
    const ino_t motd = lstat_of(dst + "/etc/motd").st_ino;
    CHECK(lstat_of(dst + "/abs").st_ino == motd);
    CHECK(lstat_of(dst + "/dotdot").st_ino == motd);
    CHECK(lstat_of(dst + outside + "/named-through-link").st_ino == motd);
    CHECK(lstat_of(dst + "/etc/motd").st_nlink == 4);
    CHECK(S_ISLNK(lstat_of(dst + "/h").st_mode));
    CHECK(lstat_of(dst + "/h").st_ino == lstat_of(dst + "/s").st_ino);
    CHECK(lstat_of(outside + "/target").st_nlink == 1);
  }
  SECTION("a hard link to a host file named with .. fails") {
    TarWriter t;
    t.file("fine", "ok");
    t.hardlink("h", "../outside/target");
    t.write(tmp.path() + "/t.tar");
    CHECK_THROWS_AS(import_archive(tmp.path() + "/t.tar", dst, nullptr), vsrv::Error);
    CHECK_FALSE(exists(dst));
    CHECK(lstat_of(outside + "/target").st_nlink == 1);
  }
  SECTION("a hard link through a symlinked directory fails too") {
    TarWriter t;
    t.symlink("d", outside);
    t.hardlink("h", "d/target");
    t.write(tmp.path() + "/t.tar");
    CHECK_THROWS_AS(import_archive(tmp.path() + "/t.tar", dst, nullptr), vsrv::Error);
    CHECK_FALSE(exists(dst));
    CHECK(lstat_of(outside + "/target").st_nlink == 1);
  }
  // Whatever the archive held, nothing was made or changed outside the root.
  CHECK(names_in(outside) == std::vector<std::string>{"target"});
  CHECK(vsrv::read_file(outside + "/target") == "untouched");
  for (const auto& n : names_in(tmp.path())) {
    INFO(n);
    CHECK((n == "outside" || n == "root" || n == "t.tar"));
  }
}

TEST_CASE("a broken archive is a usage error and leaves nothing", "[rootfs][import]") {
  TempDir tmp;
  const std::string dst = tmp.path() + "/root";
  SECTION("not an archive") {
    vsrv::write_file_atomic(tmp.path() + "/t.tar", "this is not a tar archive\n", 0644);
    try {
      import_archive(tmp.path() + "/t.tar", dst, nullptr);
      FAIL("no error");
    } catch (const vsrv::Error& e) {
      CHECK(e.kind() == vsrv::ErrorKind::kUsage);
      CHECK(std::string(e.what()).find("import " + tmp.path() + "/t.tar: ") == 0);
    }
  }
  SECTION("truncated in the middle of a file") {
    TarWriter t;
    t.file("a", std::string(100000, 'a'));
    t.write(tmp.path() + "/full.tar.gz", "gzip");
    std::string full = vsrv::read_file(tmp.path() + "/full.tar.gz");
    vsrv::write_file_atomic(tmp.path() + "/t.tar.gz", full.substr(0, full.size() / 2), 0644);
    CHECK_THROWS_AS(import_archive(tmp.path() + "/t.tar.gz", dst, nullptr), vsrv::Error);
  }
  SECTION("missing file") {
    CHECK_THROWS_AS(import_archive(tmp.path() + "/none.tar", dst, nullptr), vsrv::Error);
  }
  CHECK_FALSE(exists(dst));
}

TEST_CASE("copy_directory keeps the tree exactly and stays on its filesystem", "[rootfs][copy]") {
  TempDir tmp;
  const std::string src = tmp.path() + "/src";
  every_kind().write(tmp.path() + "/a.tar");
  import_archive(tmp.path() + "/a.tar", src, nullptr);
  vsrv::make_dirs(src + "/mnt", 0755);

  // The copy runs in a child with its own mount namespace, so a tmpfs can
  // sit on src/mnt without touching the host's mount table.
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) < 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0 ||
        ::mount("tmpfs", (src + "/mnt").c_str(), "tmpfs", 0, nullptr) < 0) {
      ::_exit(2);
    }
    vsrv::write_file_atomic(src + "/mnt/on-tmpfs", "x", 0644);
    const struct timespec times[2] = {{1600000000, 0}, {1600000000, 0}};
    if (::utimensat(AT_FDCWD, src.c_str(), times, 0) < 0) ::_exit(2);
    try {
      uint64_t bytes = 0;
      copy_directory(src, tmp.path() + "/copy", [&](uint64_t done, uint64_t) { bytes = done; });
      // A copy inside its source must not copy itself.
      copy_directory(src, src + "/inner", nullptr);
      ::_exit(bytes > 0 ? 0 : 3);
    } catch (...) {
      ::_exit(1);
    }
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  check_every_kind(tmp.path() + "/copy");
  CHECK(S_ISDIR(lstat_of(tmp.path() + "/copy/mnt").st_mode));
  CHECK_FALSE(exists(tmp.path() + "/copy/mnt/on-tmpfs"));
  CHECK(exists(src + "/inner/etc/motd"));
  CHECK_FALSE(exists(src + "/inner/inner"));
}

TEST_CASE("copy_directory of a missing directory fails without a trace", "[rootfs][copy]") {
  TempDir tmp;
  CHECK_THROWS_AS(copy_directory(tmp.path() + "/none", tmp.path() + "/dst", nullptr), vsrv::Error);
  CHECK_FALSE(exists(tmp.path() + "/dst"));
}
