// `vsrv template import | add | list | rm` through the real binary: servers
// run on what was imported or copied, list counts size and users, rm is
// refused while a server uses the template, failures leave nothing.
#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness_tar.hpp"
#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::one_error_line;
using vsrv::test::Result;
using vsrv::test::shell_quote;
using vsrv::test::TempDir;
using vsrv::test::VsrvHarness;

namespace {

const char* kSleeper = "process: {args: [sleep, '1000'], terminal: false}\n";

// The shared busybox template's tree, as the harness offers it.
std::string busybox_rootfs(const VsrvHarness& h) {
  return h.data() + "/templates/" + vsrv::test::kTemplate + "/rootfs";
}

// A unique template name (the harness's templates dir is shared in the process).
std::string new_template(const std::string& tag) {
  static int n = 0;
  return "t" + std::to_string(::getpid()) + "-" + tag + std::to_string(++n);
}

// tar of dir, compressed with compressor ("" for none).
std::string make_tarball(const std::string& dir, const std::string& out,
                         const std::string& compressor) {
  std::string cmd = "tar --xattrs --numeric-owner -C " + shell_quote(dir) + " -cf - .";
  if (!compressor.empty()) cmd += " | " + compressor + " -c";
  Result r = vsrv::test::run({"/bin/sh", "-c", cmd + " > " + shell_quote(out)});
  REQUIRE(r.status == 0);
  return out;
}

std::vector<std::string> names_in(const std::string& dir) {
  return vsrv::list_dir(dir);
}

// Nothing named after the template in the templates dir: no template, no
// half-built temporary.
bool no_trace_of(const VsrvHarness& h, const std::string& name) {
  for (const auto& n : names_in(h.data() + "/templates"))
    if (n.find(name) != std::string::npos) return false;
  return true;
}

nlohmann::json listed(const VsrvHarness& h, const std::string& name) {
  Result r = h.vsrv({"template", "list", "--format", "json"});
  REQUIRE(r.status == 0);
  for (const auto& t : nlohmann::json::parse(r.out))
    if (t.at("name") == name) return t;
  return nullptr;
}

// Runs a server on the template and returns what `cat /etc/motd` says in it.
std::string run_on(VsrvHarness& h, const std::string& tmpl) {
  std::string id = h.new_id("on");
  Result r = h.vsrv({"run", "-d", "--template", tmpl, "-f", h.write_spec(kSleeper), id});
  INFO(r.err);
  REQUIRE(r.status == 0);
  Result c = h.vsrv({"exec", id, "--", "cat", "/etc/imported"});
  REQUIRE(h.vsrv({"delete", "--force", id}).status == 0);
  return c.out;
}

}  // namespace

TEST_CASE("template import of each compression gives a template servers run on",
          "[templates][import]") {
  VsrvHarness h;
  TempDir src;
  // The busybox tree plus a marker, so we know which template a server got.
  REQUIRE(vsrv::test::run({"/bin/cp", "-a", busybox_rootfs(h) + "/.", src.path()}).status == 0);
  vsrv::write_file_atomic(src.path() + "/etc/imported", "yes\n", 0644);
  for (const char* c : {"", "gzip", "xz", "zstd"}) {
    SECTION(std::string("compression: ") + (*c ? c : "none")) {
      std::string name = new_template(*c ? c : "plain");
      std::string ball = make_tarball(src.path(), h.scratch() + "/rootfs.tar", c);
      REQUIRE(vsrv::test::compression_of(ball) == c);  // really that format
      Result r = h.vsrv({"template", "import", name, ball});
      INFO(r.err);
      REQUIRE(r.status == 0);
      CHECK(r.err.empty());  // no progress bar when stderr is not a terminal
      Result diff = vsrv::test::run({"/usr/bin/diff", "-r", "--no-dereference", src.path(),
                                     h.data() + "/templates/" + name + "/rootfs"});
      INFO(diff.out);
      CHECK(diff.status == 0);
      CHECK(run_on(h, name) == "yes\n");
      CHECK(h.vsrv({"template", "rm", name}).status == 0);
      CHECK(no_trace_of(h, name));
    }
  }
}

TEST_CASE("template import draws a progress bar on a terminal", "[templates][import]") {
  VsrvHarness h;
  std::string name = new_template("tty");
  std::string ball = make_tarball(busybox_rootfs(h), h.scratch() + "/bb.tar.gz", "gzip");
  Result r = vsrv::test::run(
      {"/usr/bin/script", "-qec", h.command_line({"template", "import", name, ball}), "/dev/null"});
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("import " + name + " [") != std::string::npos);
  CHECK(r.out.find("100%") != std::string::npos);
  CHECK(h.vsrv({"template", "rm", name}).status == 0);

  // template add: bytes copied, on a terminal only.
  std::string copy = new_template("ttyadd");
  r = vsrv::test::run({"/usr/bin/script", "-qec",
                       h.command_line({"template", "add", copy, "--dir", busybox_rootfs(h)}),
                       "/dev/null"});
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("copy " + busybox_rootfs(h)) != std::string::npos);
  CHECK(r.out.find("MiB") != std::string::npos);
  CHECK(h.vsrv({"template", "rm", copy}).status == 0);
  Result quiet = h.vsrv({"template", "add", copy, "--dir", busybox_rootfs(h)});
  CHECK(quiet.status == 0);
  CHECK(quiet.err.empty());
  CHECK(quiet.out.empty());
  CHECK(h.vsrv({"template", "rm", copy}).status == 0);
}

TEST_CASE("template import of a hostile archive keeps every entry inside the template",
          "[templates][import][security]") {
  VsrvHarness h;
  TempDir outside;
  vsrv::write_file_atomic(outside.path() + "/target", "untouched", 0644);
  const std::string o = outside.path();
  vsrv::test::TarWriter t;
  t.file("/etc/abs", "absolute");
  t.file("../../../../dotdot", "dotdot");
  t.symlink("evil", o);  // a symlinked parent
  t.file("evil/through-link", "link");
  t.symlink("up", "../../../../..");
  t.file("up/through-up", "up");
  t.device("evil/dev-through-link", '3', 1, 3, {0666});
  t.device("dev/null", '3', 1, 3, {0666});
  t.device("dev/sda", '4', 8, 0, {0660, 0, 6});
  t.device("run/initctl", '6', 0, 0, {0600});
  t.file("bin/tool", "tool", {0755});
  t.hardlink("bin/tool-link", "/bin/tool");
  t.hardlink("bin/dotdot-link", "../bin/tool");
  t.symlink("hostfile", o + "/target");
  t.hardlink("hostfile-link", "hostfile");  // links the symlink, not the host file
  const std::string ball = h.scratch() + "/hostile.tar.zst";
  t.write(ball, "zstd");
  REQUIRE(vsrv::test::compression_of(ball) == "zstd");
  const std::string name = new_template("hostile");
  Result r = h.vsrv({"template", "import", name, ball});
  INFO(r.err);
  REQUIRE(r.status == 0);

  const std::string root = h.data() + "/templates/" + name + "/rootfs";
  CHECK(vsrv::read_file(root + "/etc/abs") == "absolute");
  CHECK(vsrv::read_file(root + "/dotdot") == "dotdot");
  CHECK(vsrv::read_file(root + o + "/through-link") == "link");
  CHECK(vsrv::read_file(root + "/through-up") == "up");
  struct stat st;
  REQUIRE(::lstat((root + o + "/dev-through-link").c_str(), &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  REQUIRE(::lstat((root + "/dev/null").c_str(), &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  CHECK(st.st_rdev == makedev(1, 3));
  REQUIRE(::lstat((root + "/dev/sda").c_str(), &st) == 0);
  CHECK(S_ISBLK(st.st_mode));
  CHECK(st.st_rdev == makedev(8, 0));
  CHECK(st.st_gid == 6);
  REQUIRE(::lstat((root + "/run/initctl").c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  struct stat tool, link1, link2;
  REQUIRE(::lstat((root + "/bin/tool").c_str(), &tool) == 0);
  REQUIRE(::lstat((root + "/bin/tool-link").c_str(), &link1) == 0);
  REQUIRE(::lstat((root + "/bin/dotdot-link").c_str(), &link2) == 0);
  CHECK(tool.st_nlink == 3);
  CHECK(link1.st_ino == tool.st_ino);
  CHECK(link2.st_ino == tool.st_ino);
  REQUIRE(::lstat((root + "/hostfile-link").c_str(), &st) == 0);
  CHECK(S_ISLNK(st.st_mode));

  // Nothing outside: the host dir, the scratch dir and / are as they were.
  CHECK(names_in(o) == std::vector<std::string>{"target"});
  CHECK(vsrv::read_file(o + "/target") == "untouched");
  REQUIRE(::lstat((o + "/target").c_str(), &st) == 0);
  CHECK(st.st_nlink == 1);
  CHECK(::lstat("/dotdot", &st) != 0);
  CHECK(::lstat("/through-up", &st) != 0);
  CHECK(::lstat((h.scratch() + "/dotdot").c_str(), &st) != 0);
  CHECK(h.vsrv({"template", "rm", name}).status == 0);
}

TEST_CASE("template add copies a directory tree", "[templates][add]") {
  VsrvHarness h;
  TempDir src;
  REQUIRE(vsrv::test::run({"/bin/cp", "-a", busybox_rootfs(h) + "/.", src.path()}).status == 0);
  vsrv::write_file_atomic(src.path() + "/etc/imported", "copied\n", 0640);
  REQUIRE(::link((src.path() + "/etc/imported").c_str(), (src.path() + "/etc/hardlink").c_str()) ==
          0);
  std::string name = new_template("add");
  Result r = h.vsrv({"template", "add", name, "--dir", src.path()});
  INFO(r.err);
  REQUIRE(r.status == 0);
  std::string copy = h.data() + "/templates/" + name + "/rootfs";
  Result diff = vsrv::test::run({"/usr/bin/diff", "-r", "--no-dereference", src.path(), copy});
  INFO(diff.out);
  CHECK(diff.status == 0);
  struct stat a, b;
  REQUIRE(::stat((copy + "/etc/imported").c_str(), &a) == 0);
  REQUIRE(::stat((copy + "/etc/hardlink").c_str(), &b) == 0);
  CHECK(a.st_ino == b.st_ino);
  CHECK((a.st_mode & 07777) == 0640);
  CHECK(run_on(h, name) == "copied\n");
  CHECK(h.vsrv({"template", "rm", name}).status == 0);
}

TEST_CASE("template list shows size and users; rm waits for the last user",
          "[templates][list][rm]") {
  VsrvHarness h;
  std::string name = new_template("use");
  REQUIRE(h.vsrv({"template", "add", name, "--dir", busybox_rootfs(h)}).status == 0);
  nlohmann::json t = listed(h, name);
  REQUIRE(t.is_object());
  CHECK(t.at("servers").empty());
  // Each inode once: about the busybox binary, however many applet links.
  Result du = vsrv::test::run({"/usr/bin/du", "-s", "-B1", h.data() + "/templates/" + name});
  CHECK(t.at("bytes").get<uint64_t>() == std::stoull(du.out));

  std::string a = h.new_id("a"), b = h.new_id("b");
  for (const auto& id : {a, b}) {
    REQUIRE(h.vsrv({"run", "-d", "--template", name, "-f", h.write_spec(kSleeper), id}).status ==
            0);
  }
  CHECK(listed(h, name).at("servers") == nlohmann::json({a, b}));
  Result table = h.vsrv({"template", "list"});
  CHECK(table.out.rfind("NAME", 0) == 0);
  CHECK(table.out.find("SIZE") != std::string::npos);
  CHECK(table.out.find("SERVERS") != std::string::npos);
  std::string row;
  for (const auto& line : vsrv::test::lines_of(table.out))
    if (line.rfind(name + " ", 0) == 0) row = line;
  INFO(table.out);
  // The size in the table is the same as in JSON, in MiB (busybox is ~2 MiB).
  char human[32];
  std::snprintf(human, sizeof human, "%.1f MiB",
                static_cast<double>(t.at("bytes").get<uint64_t>()) / (1024.0 * 1024.0));
  CHECK(row.find(human) != std::string::npos);
  CHECK(row.find("2 (" + a + ", " + b + ")") != std::string::npos);

  Result rm = h.vsrv({"template", "rm", name});
  CHECK(rm.status == 2);
  CHECK(one_error_line(rm.err));
  CHECK(rm.err == "vsrv: template " + name + " is used by servers " + a + ", " + b + "\n");
  // A stopped server still uses it: its upper layer lies over it.
  REQUIRE(h.vsrv({"stop", "-t", "0", a}).status == 0);
  REQUIRE(h.vsrv({"delete", "--force", b}).status == 0);
  CHECK(h.vsrv({"template", "rm", name}).status == 2);
  REQUIRE(h.vsrv({"delete", a}).status == 0);
  CHECK(listed(h, name).at("servers").empty());
  Result ok = h.vsrv({"template", "rm", name});
  INFO(ok.err);
  CHECK(ok.status == 0);
  CHECK(listed(h, name).is_null());
  CHECK(no_trace_of(h, name));
  // And a server can no longer be made on it.
  Result gone = h.vsrv({"create", "--template", name, "-f", h.write_spec(kSleeper), h.new_id("g")});
  CHECK(gone.status == 1);
  CHECK(gone.err.find("template " + name + " does not exist") != std::string::npos);
}

TEST_CASE("template errors: one line, nothing left behind", "[templates][errors]") {
  VsrvHarness h;
  std::string name = new_template("err");
  SECTION("not an archive") {
    vsrv::write_file_atomic(h.scratch() + "/junk.tar", "junk", 0644);
    Result r = h.vsrv({"template", "import", name, h.scratch() + "/junk.tar"});
    CHECK(r.status == 1);
    CHECK(one_error_line(r.err));
  }
  SECTION("a hostile hard link") {
    vsrv::test::TarWriter t;
    t.file("ok", "x");
    t.hardlink("shadow", "/etc/shadow");
    t.write(h.scratch() + "/evil.tar.gz", "gzip");
    Result r = h.vsrv({"template", "import", name, h.scratch() + "/evil.tar.gz"});
    CHECK(r.status != 0);
    CHECK(one_error_line(r.err));
  }
  SECTION("no such file or directory") {
    Result r = h.vsrv({"template", "import", name, h.scratch() + "/none.tar"});
    CHECK(r.status == 1);
    CHECK(one_error_line(r.err));
    Result d = h.vsrv({"template", "add", name, "--dir", h.scratch() + "/none"});
    CHECK(d.status == 1);
    CHECK(one_error_line(d.err));
  }
  SECTION("bad and taken names") {
    CHECK(h.vsrv({"template", "add", "../x", "--dir", busybox_rootfs(h)}).status == 1);
    REQUIRE(h.vsrv({"template", "add", name, "--dir", busybox_rootfs(h)}).status == 0);
    Result again = h.vsrv({"template", "add", name, "--dir", busybox_rootfs(h)});
    CHECK(again.status == 1);
    CHECK(again.err == "vsrv: template " + name + " exists already\n");
    REQUIRE(h.vsrv({"template", "rm", name}).status == 0);
    Result missing = h.vsrv({"template", "rm", name});
    CHECK(missing.status == 1);
    CHECK(one_error_line(missing.err));
  }
  CHECK(no_trace_of(h, name));
}
