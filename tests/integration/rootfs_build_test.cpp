// build() for real: each case forks a child that enters a new mount
// namespace, builds the tree of a fresh busybox rootfs and checks it from
// inside; failures come back as text through a pipe. The host's mount table
// must be the same afterwards.
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <stdexcept>

#include "harness.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/rootfs/mount_tree.hpp"
#include "vsrv/rootfs/template.hpp"

using namespace vsrv::rootfs;
using vsrv::test::TempDir;

namespace {

// Thrown inside the child; its text is the test's failure message.
struct Failed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void expect(bool ok, const std::string& what) {
  if (!ok)
    throw Failed(what + (errno ? std::string(" (errno: ") + std::strerror(errno) + ")" : ""));
}

// errno of a failing call, or 0 when it succeeded.
int err_of(int rc) {
  return rc < 0 ? errno : 0;
}

size_t mount_count() {
  auto info = vsrv::read_file("/proc/self/mountinfo");
  return static_cast<size_t>(std::count(info.begin(), info.end(), '\n'));
}

bool dir_empty(const std::string& path) {
  auto entries = vsrv::test::run({"/bin/ls", "-A", path});
  return entries.status == 0 && entries.out.empty();
}

enum class Ns { kMount, kMountOnly, kUserAndMount };

// Runs fn in a child in a new mount namespace (or new user + mount
// namespaces, root mapped to root); returns "OK" or what failed.
std::string in_child(const std::function<void()>& fn, Ns ns = Ns::kMount) {
  vsrv::Pipe pipe = vsrv::Pipe::make();
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    pipe.read.reset();
    std::string msg = "OK";
    try {
      if (ns == Ns::kMount || ns == Ns::kMountOnly) {
        // Like the runtime's child: its own cgroup namespace too, unless the
        // test is about sharing the host's.
        int flags = CLONE_NEWNS | (ns == Ns::kMount ? CLONE_NEWCGROUP : 0);
        if (::unshare(flags) < 0) throw vsrv::SysError("unshare");
      } else {
        if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) throw vsrv::SysError("unshare");
        vsrv::write_file("/proc/self/uid_map", "0 0 1");
        vsrv::write_file("/proc/self/setgroups", "deny");
        vsrv::write_file("/proc/self/gid_map", "0 0 1");
      }
      errno = 0;
      fn();
    } catch (const std::exception& e) {
      msg = e.what();
    }
    (void)!::write(pipe.write.get(), msg.data(), msg.size());
    ::_exit(0);
  }
  pipe.write.reset();
  std::string msg;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipe.read.get(), buf, sizeof(buf))) > 0) msg.append(buf, n);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status)) return "child died with signal " + std::to_string(WTERMSIG(status));
  return msg;
}

// Exit status of argv run inside the current (child's) root.
int run_inside(const std::vector<const char*>& argv) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (auto* a : argv) args.push_back(const_cast<char*>(a));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A fresh busybox rootfs with a marker file, under its own TempDir.
struct Rootfs {
  TempDir tmp{"vsrv-rootfs"};
  std::string path = tmp.path() + "/rootfs";
  Rootfs() {
    create_busybox_rootfs(path);
    vsrv::write_file_atomic(path + "/vsrv-marker", "inside\n");
  }
};

Plan default_plan(const std::string& rootfs) {
  Plan plan;
  plan.rootfs = rootfs;
  plan.mounts = default_mounts();
  plan.masked_paths = default_masked_paths();
  plan.readonly_paths = default_readonly_paths();
  return plan;
}

// Masked paths this kernel has, looked up on the host before any child runs.
std::vector<std::string> existing(std::vector<std::string> paths) {
  std::erase_if(paths, [](const std::string& p) { return ::access(p.c_str(), F_OK) < 0; });
  return paths;
}
const std::vector<std::string> kMaskedFiles =
    existing({"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug"});
const std::vector<std::string> kMaskedDirs = existing({"/proc/acpi", "/sys/firmware"});
const std::vector<std::string> kReadonly = existing(default_readonly_paths());

bool is_char(const char* path, unsigned major, unsigned minor) {
  struct stat st;
  return ::stat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(major, minor);
}

// The checks every default tree must pass, from inside.
void check_default_tree(const std::string& host_rootfs) {
  expect(::access("/vsrv-marker", F_OK) == 0, "/ is not the rootfs");
  expect(::access(host_rootfs.c_str(), F_OK) < 0, "the host's tree is still reachable");
  char cwd[64];
  expect(::getcwd(cwd, sizeof(cwd)) && std::string(cwd) == "/", "cwd is not /");
  expect(::access("/proc/self/status", R_OK) == 0, "/proc/self missing");
  expect(is_char("/dev/null", 1, 3), "/dev/null is not 1:3");
  expect(is_char("/dev/zero", 1, 5) && is_char("/dev/full", 1, 7) && is_char("/dev/random", 1, 8) &&
             is_char("/dev/urandom", 1, 9) && is_char("/dev/tty", 5, 0),
         "a /dev node is missing");
  struct stat st;
  expect(::stat("/dev/null", &st) == 0 && (st.st_mode & 0777) == 0666, "/dev/null mode");
  char link[64] = {};
  expect(::readlink("/dev/ptmx", link, sizeof(link) - 1) > 0 && std::string(link) == "pts/ptmx",
         "/dev/ptmx link");
  expect(::access("/dev/pts/ptmx", F_OK) == 0, "/dev/pts not mounted");
  std::memset(link, 0, sizeof(link));
  expect(::readlink("/dev/stdout", link, sizeof(link) - 1) > 0 &&
             std::string(link) == "/proc/self/fd/1",
         "/dev/stdout link");
  expect(::stat("/dev/shm", &st) == 0 && (st.st_mode & 07777) == 01777, "/dev/shm mode");
  struct statvfs vfs;
  expect(::statvfs("/dev/mqueue", &vfs) == 0, "/dev/mqueue");
  // /sys is read-only.
  expect(::statvfs("/sys", &vfs) == 0 && (vfs.f_flag & ST_RDONLY), "/sys is writable");
  expect(err_of(::mkdir("/sys/vsrv-test", 0755)) == EROFS, "mkdir in /sys did not fail EROFS");
  // Masked: files are /dev/null now (reads give nothing), directories are
  // empty. This kernel may lack some of them; those that exist must be masked.
  expect(!kMaskedFiles.empty() && !kMaskedDirs.empty(), "nothing masked to check");
  for (const auto& f : kMaskedFiles) {
    expect(is_char(f.c_str(), 1, 3), f + " is not masked");
    vsrv::UniqueFd fd(::open(f.c_str(), O_RDONLY | O_CLOEXEC));
    char b[16];
    expect(fd && ::read(fd.get(), b, sizeof(b)) == 0, "reading " + f + " gave data");
  }
  for (const auto& d : kMaskedDirs) {
    struct statvfs v;
    expect(::statvfs(d.c_str(), &v) == 0 && (v.f_flag & ST_RDONLY) && dir_empty(d),
           d + " is not masked");
  }
  // Read-only paths.
  expect(err_of(::open("/proc/sys/kernel/hostname", O_WRONLY | O_CLOEXEC)) == EROFS,
         "/proc/sys is writable");
  for (const auto& p : kReadonly) {
    struct statvfs v;
    expect(::statvfs(p.c_str(), &v) == 0 && (v.f_flag & ST_RDONLY), p + " is writable");
  }
  // The rootfs is usable: busybox runs with /proc and /dev.
  expect(
      run_inside({"/bin/sh", "-c",
                  "test -f /vsrv-marker && ls /proc/self/fd >/dev/null && echo x >/dev/null"}) == 0,
      "busybox sh inside failed");
}

}  // namespace

TEST_CASE("default tree: pivot_root, /proc, /dev, ro /sys, masks, extra mounts") {
  Rootfs root;
  TempDir data("vsrv-data");
  vsrv::write_file_atomic(data.path() + "/hello", "hi\n");
  size_t before = mount_count();
  std::string result = in_child([&] {
    Plan plan = default_plan(root.path);
    plan.mounts.push_back({"/data", "bind", data.path(), {"rbind", "ro", "nosuid"}});
    plan.mounts.push_back({"/scratch", "tmpfs", "tmpfs", {"size=1m", "mode=700"}});
    plan.mounts.push_back({"/sys/fs/cgroup", "cgroup", "cgroup", {}});
    // A file source: the destination is created as an empty file first.
    plan.mounts.push_back({"/etc/resolv.conf", "bind", data.path() + "/hello", {"bind", "ro"}});
    // remount changes the flags of what is already there.
    plan.mounts.push_back({"/scratch", "none", "", {"remount", "nosuid"}});
    auto t0 = std::chrono::steady_clock::now();
    build(plan);
    auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    check_default_tree(root.path);
    expect(vsrv::read_file("/data/hello") == "hi\n", "/data/hello");
    expect(err_of(::open("/data/new", O_CREAT | O_WRONLY | O_CLOEXEC, 0644)) == EROFS,
           "ro bind /data is writable");
    struct statvfs vfs;
    expect(::statvfs("/scratch", &vfs) == 0 && vfs.f_blocks * vfs.f_frsize == 1024 * 1024,
           "/scratch is not a 1m tmpfs");
    struct stat st;
    expect(::stat("/scratch", &st) == 0 && (st.st_mode & 0777) == 0700, "/scratch mode");
    vsrv::write_file_atomic("/scratch/f", "x");
    expect(::statvfs("/scratch", &vfs) == 0 && (vfs.f_flag & ST_NOSUID), "remount nosuid");
    expect(vsrv::read_file("/etc/resolv.conf") == "hi\n", "file bind");
    expect(::statvfs("/sys/fs/cgroup", &vfs) == 0 && (vfs.f_flag & ST_RDONLY),
           "cgroup not mounted read-only");
    expect(::access("/sys/fs/cgroup/cgroup.procs", F_OK) == 0, "cgroup2 not mounted");
    // A few ms is the budget; 200 ms catches pathologies on a loaded machine.
    expect(us < 200000, "build took " + std::to_string(us) + " us");
  });
  CHECK(result == "OK");
  CHECK(mount_count() == before);
  CHECK(vsrv::read_file(data.path() + "/hello") == "hi\n");
  CHECK(::access((root.path + "/scratch/f").c_str(), F_OK) != 0);
}

TEST_CASE("readonly root, shared propagation") {
  Rootfs root;
  size_t before = mount_count();
  std::string result = in_child([&] {
    Plan plan = default_plan(root.path);
    plan.readonly = true;
    plan.propagation = "rshared";
    build(plan);
    expect(err_of(::mkdir("/newdir", 0755)) == EROFS, "/ is writable");
    vsrv::write_file_atomic("/dev/shm/ok", "x");  // tmpfs submounts stay writable
    auto info = vsrv::read_file("/proc/self/mountinfo");
    auto line = info.substr(0, info.find('\n'));
    bool found = false;
    for (const auto& l : vsrv::split(info, '\n')) {
      auto f = vsrv::split(l, ' ');
      if (f.size() > 6 && f[4] == "/") {
        found = true;
        expect(l.find("shared:") != std::string::npos, "/ is not shared: " + l);
      }
    }
    expect(found, "no / in mountinfo");
  });
  CHECK(result == "OK");
  CHECK(mount_count() == before);
}

TEST_CASE("no_pivot: MS_MOVE and chroot") {
  Rootfs root;
  size_t before = mount_count();
  std::string result = in_child([&] {
    Plan plan = default_plan(root.path);
    plan.no_pivot = true;
    build(plan);
    check_default_tree(root.path);
  });
  CHECK(result == "OK");
  CHECK(mount_count() == before);
}

TEST_CASE("overlay root: writes land in upper, lower stays clean") {
  Rootfs lower;
  TempDir layers("vsrv-ovl");
  for (const char* d : {"/upper", "/work", "/merged"}) vsrv::make_dirs(layers.path() + d);
  size_t before = mount_count();
  std::string result = in_child([&] {
    Plan plan = default_plan(layers.path() + "/merged");
    plan.overlay.push_back({{lower.path}, layers.path() + "/upper", layers.path() + "/work"});
    build(plan);
    expect(::access("/vsrv-marker", F_OK) == 0, "lower not visible");
    vsrv::write_file_atomic("/written-inside", "data\n");
    expect(run_inside({"/bin/sh", "-c", "echo more >>/vsrv-marker"}) == 0, "copy-up failed");
  });
  CHECK(result == "OK");
  CHECK(mount_count() == before);
  CHECK(vsrv::read_file(layers.path() + "/upper/written-inside") == "data\n");
  CHECK(vsrv::read_file(layers.path() + "/upper/vsrv-marker") == "inside\nmore\n");
  CHECK(::access((lower.path + "/written-inside").c_str(), F_OK) != 0);
  CHECK(vsrv::read_file(lower.path + "/vsrv-marker") == "inside\n");
  CHECK(dir_empty(layers.path() + "/merged"));
}

TEST_CASE("tmpcopyup keeps what the directory held") {
  Rootfs root;
  std::string result = in_child([&] {
    Plan plan = default_plan(root.path);
    plan.mounts.push_back({"/etc", "tmpfs", "tmpfs", {"tmpcopyup", "mode=755"}});
    build(plan);
    expect(vsrv::read_file("/etc/group").find("tty:x:5:") != std::string::npos,
           "/etc/group not copied");
    vsrv::write_file_atomic("/etc/new-inside", "x");
    struct statvfs vfs;
    expect(::statvfs("/etc", &vfs) == 0, "statvfs /etc");
  });
  CHECK(result == "OK");
  CHECK(::access((root.path + "/etc/new-inside").c_str(), F_OK) != 0);
}

TEST_CASE("errors name the mount") {
  Rootfs root;
  size_t before = mount_count();
  auto error_of = [&](const Mount& m) {
    return in_child([&] {
      Plan plan = default_plan(root.path);
      plan.mounts.push_back(m);
      build(plan);
    });
  };
  CHECK(error_of({"/data", "bind", "/nonexistent", {"rbind"}}) ==
        "mount /data (bind from /nonexistent): No such file or directory");
  CHECK(error_of({"/t", "tmpfs", "tmpfs", {"size=lots"}}) ==
        "mount /t (tmpfs): tmpfs: Bad value for 'size': Invalid argument");
  CHECK(error_of({"/t", "tmpfs", "tmpfs", {"frobnicate"}}) ==
        "unknown mount option \"frobnicate\"");
  CHECK(error_of({"/proc", "tmpfs", "tmpfs", {}}) ==
        "mount /proc (tmpfs): only proc can be mounted on /proc");
  CHECK(error_of({"/proc/self/x", "tmpfs", "tmpfs", {}}) ==
        "mount /proc/self/x (tmpfs): cannot mount inside /proc");
  CHECK(mount_count() == before);
}

TEST_CASE("escape: /proc or /sys symlinked to a host directory is refused") {
  for (const char* name : {"proc", "sys"}) {
    Rootfs root;
    TempDir host("vsrv-hostdir");
    std::string link = root.path + "/" + name;
    REQUIRE(::rmdir(link.c_str()) == 0);
    REQUIRE(::symlink(host.path().c_str(), link.c_str()) == 0);
    size_t before = mount_count();
    std::string result = in_child([&] { build(default_plan(root.path)); });
    INFO(name);
    CHECK(result == std::string("mount /") + name + " (" +
                        (name == std::string("proc") ? "proc" : "sysfs") + "): /" + name +
                        " is not a directory in the rootfs");
    CHECK(mount_count() == before);
    CHECK(dir_empty(host.path()));
  }
}

TEST_CASE("escape: symlinked mount destinations resolve inside the rootfs") {
  Rootfs root;
  TempDir host("vsrv-hostdir");
  TempDir host2("vsrv-hostdir");
  TempDir payload("vsrv-payload");
  vsrv::write_file_atomic(payload.path() + "/payload", "p\n");
  // Absolute symlinks climbing far above "/", one dangling as the last
  // component, one as a middle component.
  std::string escape = "/../../../.." + host.path();
  REQUIRE(::symlink(escape.c_str(), (root.path + "/evil").c_str()) == 0);
  std::string escape2 = "/../../../.." + host2.path();
  REQUIRE(::symlink(escape2.c_str(), (root.path + "/evil-dir").c_str()) == 0);
  size_t before = mount_count();
  std::string result = in_child([&] {
    Plan plan = default_plan(root.path);
    plan.mounts.push_back({"/evil", "bind", payload.path(), {"rbind"}});
    plan.mounts.push_back({"/evil-dir/sub/deeper", "tmpfs", "tmpfs", {}});
    build(plan);
    // Both landed at the target path, inside the new root.
    expect(vsrv::read_file(host.path() + "/payload") == "p\n", "bind not inside the root");
    struct stat deeper, top;
    expect(::stat((host2.path() + "/sub/deeper").c_str(), &deeper) == 0 && ::stat("/", &top) == 0 &&
               deeper.st_dev != top.st_dev,
           "tmpfs not inside");
    vsrv::write_file_atomic(host2.path() + "/sub/deeper/f", "x");
  });
  CHECK(result == "OK");
  CHECK(mount_count() == before);
  CHECK(dir_empty(host.path()));
  CHECK(dir_empty(host2.path()));
  // The directories were created inside the rootfs.
  struct stat st;
  CHECK(::lstat((root.path + host.path()).c_str(), &st) == 0);
  CHECK(S_ISDIR(st.st_mode));
  CHECK(::lstat((root.path + host2.path() + "/sub/deeper").c_str(), &st) == 0);
  CHECK(S_ISDIR(st.st_mode));
}

TEST_CASE("escape: /dev symlinked to a host directory stays contained") {
  Rootfs root;
  TempDir host("vsrv-hostdir");
  REQUIRE(::rmdir((root.path + "/dev").c_str()) == 0);
  REQUIRE(::symlink(host.path().c_str(), (root.path + "/dev").c_str()) == 0);
  size_t before = mount_count();
  std::string result = in_child([&] {
    build(default_plan(root.path));
    expect(is_char("/dev/null", 1, 3), "/dev/null");
    expect(is_char("/proc/keys", 1, 3), "/proc/keys not masked");
  });
  CHECK(result == "OK");
  CHECK(mount_count() == before);
  CHECK(dir_empty(host.path()));
}

TEST_CASE("escape: a fake /dev/null is never bound over masked paths") {
  Rootfs root;
  size_t before = mount_count();
  std::string result = in_child([&] {
    Plan plan = default_plan(root.path);
    // No /dev tmpfs: the rootfs's own /dev/null is used, and it is a symlink
    // to a file the server controls.
    plan.mounts.erase(plan.mounts.begin() + 1, plan.mounts.begin() + 5);
    vsrv::write_file_atomic(root.path + "/fake", "not null");
    if (::symlink("/fake", (root.path + "/dev/null").c_str()) < 0) throw vsrv::SysError("symlink");
    build(plan);
  });
  CHECK(result == "mask: /dev/null is not the null device (1:3)");
  CHECK(mount_count() == before);
}

TEST_CASE("user namespace: /dev nodes are bound from the host when mknod is refused") {
  Rootfs root;
  size_t before = mount_count();
  std::string result = in_child(
      [&] {
        Plan plan;
        plan.rootfs = root.path;
        plan.mounts = {
            {"/dev", "tmpfs", "tmpfs", {"nosuid", "mode=755"}},
            {"/dev/pts", "devpts", "devpts", {"newinstance", "ptmxmode=0666", "mode=0620"}},
        };
        plan.readonly = true;
        build(plan);
        expect(
            is_char("/dev/null", 1, 3) && is_char("/dev/zero", 1, 5) && is_char("/dev/tty", 5, 0),
            "/dev nodes");
        vsrv::UniqueFd zero(::open("/dev/zero", O_RDONLY | O_CLOEXEC));
        char b[4] = {1, 1, 1, 1};
        expect(zero && ::read(zero.get(), b, 4) == 4 && b[0] == 0 && b[3] == 0, "read /dev/zero");
        expect(::access("/dev/pts/ptmx", F_OK) == 0, "/dev/pts");
        expect(err_of(::mkdir("/x", 0755)) == EROFS, "/ is writable");
      },
      Ns::kUserAndMount);
  CHECK(result == "OK");
  CHECK(mount_count() == before);
}

TEST_CASE("cgroup mount from the host's cgroup namespace shares the host's cgroup2 read-only") {
  Rootfs root;
  auto cgroup2_lines = [] {
    std::string out;
    for (const auto& l : vsrv::split(vsrv::read_file("/proc/self/mountinfo"), '\n')) {
      if (l.find(" - cgroup2 ") != std::string::npos) out += l + "\n";
    }
    return out;
  };
  std::string host_before = cgroup2_lines();
  REQUIRE_FALSE(host_before.empty());
  size_t before = mount_count();
  std::string result = in_child(
      [&] {
        Plan plan = default_plan(root.path);
        plan.mounts.push_back({"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid"}});
        build(plan);
        struct statfs fs;
        expect(::statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC,
               "/sys/fs/cgroup is not cgroup2");
        struct statvfs vfs;
        expect(::statvfs("/sys/fs/cgroup", &vfs) == 0 && (vfs.f_flag & ST_RDONLY) &&
                   (vfs.f_flag & ST_NOSUID),
               "/sys/fs/cgroup is not ro,nosuid");
        expect(err_of(::mkdir("/sys/fs/cgroup/vsrv-test", 0755)) == EROFS,
               "cgroup mkdir did not fail EROFS");
      },
      Ns::kMountOnly);
  CHECK(result == "OK");
  CHECK(mount_count() == before);
  CHECK(cgroup2_lines() == host_before);
}
