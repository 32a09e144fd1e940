// The compiled seccomp cache under --root: a program compiled once per
// profile, reused by later servers and by exec, rewritten when a file is
// damaged or belongs to another profile, and always the filter the spec
// asks for.
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "harness_vsrv.hpp"
#include "isolation_child.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/isolation/seccomp_program.hpp"

using vsrv::test::expect;
using vsrv::test::kTemplate;
using vsrv::test::Result;
using vsrv::test::run_in_child;
using vsrv::test::sh_spec;
using vsrv::test::VsrvHarness;

namespace {

// A profile that allows everything but the syscalls named (EPERM).
std::string deny(const std::string& syscalls) {
  return "linux:\n  seccomp:\n    defaultAction: SCMP_ACT_ALLOW\n    syscalls:\n"
         "      - {names: [" +
         syscalls + "], action: SCMP_ACT_ERRNO}\n";
}

// Each probe prints "<name>=ok" or "<name>=denied".
const char* kProbe =
    "if ln -s x /tmp/link 2>/dev/null; then echo link=ok; else echo link=denied; fi; "
    "if mkdir /tmp/probe 2>/dev/null; then echo mkdir=ok; else echo mkdir=denied; fi; "
    "grep '^Seccomp:' /proc/self/status";

struct CacheFile {
  std::string path;
  ino_t inode = 0;
  std::string content;
};

// The .bpf files of the cache dir.
std::vector<CacheFile> cache_files(const std::string& root) {
  std::vector<CacheFile> out;
  const std::string dir = root + "/.seccomp";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() < 4 || name.compare(name.size() - 4, 4, ".bpf") != 0) continue;
    CacheFile f;
    f.path = dir + "/" + name;
    struct stat st;
    if (::stat(f.path.c_str(), &st) == 0) f.inode = st.st_ino;
    f.content = vsrv::read_file(f.path);
    out.push_back(f);
  }
  ::closedir(d);
  return out;
}

Result run_probe(VsrvHarness& h, const std::string& profile) {
  return h.vsrv({"run", "--template", kTemplate, "--rm", "-f",
                 h.write_spec(sh_spec(kProbe, profile)), h.new_id("sc")});
}

}  // namespace

TEST_CASE("a profile is compiled once and its cached program reused", "[security][seccomp]") {
  VsrvHarness h;
  Result first = run_probe(h, deny("symlink, symlinkat"));
  REQUIRE(first.status == 0);
  CHECK(first.out.find("link=denied") != std::string::npos);
  CHECK(first.out.find("mkdir=ok") != std::string::npos);
  CHECK(first.out.find("Seccomp:\t2") != std::string::npos);

  auto files = cache_files(h.root());
  REQUIRE(files.size() == 1);
  // The file carries the canonical text of its profile.
  CHECK(files[0].content.rfind("VSRVBPF1", 0) == 0);
  CHECK(files[0].content.find("symlinkat") != std::string::npos);
  struct stat st;
  REQUIRE(::stat(files[0].path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat((h.root() + "/.seccomp").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  // The same profile again: the file is read, not replaced.
  Result second = run_probe(h, deny("symlink, symlinkat"));
  REQUIRE(second.status == 0);
  CHECK(second.out.find("link=denied") != std::string::npos);
  auto again = cache_files(h.root());
  REQUIRE(again.size() == 1);
  CHECK(again[0].inode == files[0].inode);
  CHECK(again[0].content == files[0].content);

  // Another profile gets its own file; `list` does not show the cache dir.
  Result other = run_probe(h, deny("mkdir, mkdirat"));
  REQUIRE(other.status == 0);
  CHECK(other.out.find("link=ok") != std::string::npos);
  CHECK(other.out.find("mkdir=denied") != std::string::npos);
  CHECK(cache_files(h.root()).size() == 2);
  Result list = h.vsrv({"list", "-q"});
  CHECK(list.status == 0);
  CHECK(list.out.find("seccomp") == std::string::npos);
}

TEST_CASE("a damaged or foreign cache file is never loaded", "[security][seccomp]") {
  VsrvHarness h;
  REQUIRE(run_probe(h, deny("mkdir, mkdirat")).status == 0);
  const CacheFile mkdir_file = cache_files(h.root()).at(0);
  REQUIRE(run_probe(h, deny("symlink, symlinkat")).status == 0);
  CacheFile link_file;
  for (const auto& f : cache_files(h.root()))
    if (f.path != mkdir_file.path) link_file = f;
  REQUIRE(!link_file.path.empty());

  SECTION("a program compiled for another profile under this profile's name") {
    vsrv::write_file_atomic(link_file.path, mkdir_file.content, 0600);
    Result r = run_probe(h, deny("symlink, symlinkat"));
    REQUIRE(r.status == 0);
    CHECK(r.out.find("link=denied") != std::string::npos);
    CHECK(r.out.find("mkdir=ok") != std::string::npos);
    CHECK(vsrv::read_file(link_file.path) == link_file.content);
  }
  SECTION("a truncated file") {
    vsrv::write_file_atomic(link_file.path, link_file.content.substr(0, 100), 0600);
    Result r = run_probe(h, deny("symlink, symlinkat"));
    REQUIRE(r.status == 0);
    CHECK(r.out.find("link=denied") != std::string::npos);
    CHECK(vsrv::read_file(link_file.path) == link_file.content);
  }
  SECTION("instructions flipped behind an intact header") {
    std::string bad = link_file.content;
    bad.back() ^= 0x55;
    bad.resize(bad.size() - 8);
    vsrv::write_file_atomic(link_file.path, bad, 0600);
    Result r = run_probe(h, deny("symlink, symlinkat"));
    REQUIRE(r.status == 0);
    CHECK(r.out.find("link=denied") != std::string::npos);
    CHECK(vsrv::read_file(link_file.path) == link_file.content);
  }
}

TEST_CASE("exec loads the server's program from the cache", "[security][seccomp]") {
  VsrvHarness h;
  const std::string id = h.new_id("scx");
  h.run_detached(id, sh_spec("sleep 100", deny("symlink, symlinkat")));
  // Written by create; exec reads it, or compiles and writes it again.
  REQUIRE(cache_files(h.root()).size() == 1);
  vsrv::remove_tree(h.root() + "/.seccomp");
  Result r = h.vsrv({"exec", id, "--", "sh", "-c", kProbe});
  REQUIRE(r.status == 0);
  CHECK(r.out.find("link=denied") != std::string::npos);
  CHECK(r.out.find("Seccomp:\t2") != std::string::npos);
  CHECK(cache_files(h.root()).size() == 1);
  Result again = h.vsrv({"exec", id, "--", "sh", "-c", kProbe});
  CHECK(again.out.find("link=denied") != std::string::npos);
}

TEST_CASE("load_seccomp with TSYNC filters every thread of the process", "[security][seccomp]") {
  vsrv::isolation::Seccomp p;
  p.default_action = "SCMP_ACT_ALLOW";
  p.flags = {"SECCOMP_FILTER_FLAG_TSYNC"};
  vsrv::isolation::SeccompRule rule;
  rule.names = {"uname"};
  rule.action = "SCMP_ACT_ERRNO";
  rule.errno_ret = 77;
  p.syscalls.push_back(rule);
  const auto program = vsrv::isolation::compile_seccomp(p);
  auto r = run_in_child([&] {
    expect(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "no_new_privs");
    int other_errno = -1;
    std::thread t;
    {
      // A second thread exists when the filter is loaded.
      int go[2];
      expect(::pipe(go) == 0, "pipe");
      t = std::thread([&] {
        char c;
        (void)!::read(go[0], &c, 1);
        struct utsname u;
        other_errno = ::uname(&u) < 0 ? errno : 0;
      });
      vsrv::isolation::load_seccomp(program);
      (void)!::write(go[1], "x", 1);
      t.join();
    }
    struct utsname u;
    expect(::uname(&u) < 0 && errno == 77, "uname allowed in the loading thread");
    expect(other_errno == 77, "uname allowed in the other thread: " + std::to_string(other_errno));
  });
  INFO(r.out);
  CHECK(r.status == 0);
}
