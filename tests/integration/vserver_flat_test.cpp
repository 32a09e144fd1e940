// Density that scales flat: the life of one server (create, start, exec,
// stop, delete; with and without its own disk) reads nothing of the other
// servers — no listing of --root, DATA/servers or the templates, nothing
// opened in another server's state or data dir — and vsrv never reads the
// host's mount table. `list` and `template list` do read them all, which
// shows the probe sees what it is looking for.
#include <limits.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness_vsrv.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::Result;
using vsrv::test::VsrvHarness;

namespace {

const char* kSpec =
    "process: {args: [sleep, '1000000'], terminal: false}\n"
    "vsrv: {stopSignal: SIGKILL}\n";
const char* kDiskSpec =
    "process: {args: [sleep, '1000000'], terminal: false}\n"
    "vsrv: {stopSignal: SIGKILL, disk: 16Mi}\n";

// inotify on a set of directories: what was listed and what was opened,
// read or changed in them. A directory's own IN_ACCESS (getdents) is only
// reported to a watch on its parent, so a listing of DIR is watched as
// parent(DIR) filtered on DIR's name.
class Watch {
 public:
  Watch() : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) { REQUIRE(fd_); }

  // Everything done in dir.
  void add(const std::string& dir, uint32_t mask) { watch(dir, mask, ""); }
  // Listings of dir (and reads of it as a file, which a directory is not).
  void add_listing(const std::string& dir) {
    char buf[PATH_MAX];
    REQUIRE(::realpath(dir.c_str(), buf) != nullptr);
    const std::string real = buf;
    auto slash = real.rfind('/');
    REQUIRE(slash != std::string::npos);
    watch(slash == 0 ? "/" : real.substr(0, slash), IN_ACCESS, real.substr(slash + 1));
    names_[dir] = real;
  }

  // Events since the last call, as "PATH listed|opened|read|changed"; a
  // listing names the dir as given to add_listing.
  std::vector<std::string> events() {
    std::vector<std::string> out;
    alignas(struct inotify_event) char buf[65536];
    for (;;) {
      ssize_t n = ::read(fd_.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      for (char* p = buf; p < buf + n;) {
        auto* e = reinterpret_cast<struct inotify_event*>(p);
        p += sizeof(struct inotify_event) + e->len;
        if (e->mask & IN_Q_OVERFLOW) {
          out.push_back("inotify queue overflow");
          continue;
        }
        if (e->mask & IN_IGNORED) continue;
        const Dir& d = dirs_[e->wd];
        const std::string name = e->len ? std::string(e->name) : "";
        if (!d.all) {
          if (!d.only.count(name)) continue;  // something else in the parent
          std::string path = d.path == "/" ? "/" + name : d.path + "/" + name;
          for (const auto& [given, real] : names_)
            if (real == path) path = given;
          out.push_back(path + " listed");
          continue;
        }
        const std::string& dir = d.path;
        const std::string path = name.empty() ? dir : dir + "/" + name;
        const char* what = (e->mask & IN_ACCESS) ? "read"
                           : (e->mask & IN_OPEN) ? "opened"
                                                 : "changed";
        out.push_back(path + " " + what);
      }
    }
    return out;
  }

 private:
  void watch(const std::string& dir, uint32_t mask, const std::string& only) {
    // Watches on one directory share a descriptor; their masks add up.
    int wd = ::inotify_add_watch(fd_.get(), dir.c_str(), mask | IN_ONLYDIR | IN_MASK_ADD);
    INFO(dir);
    REQUIRE(wd >= 0);
    Dir& d = dirs_[wd];
    d.path = dir;
    if (only.empty()) {
      d.all = true;
    } else {
      d.only.insert(only);
    }
  }

  struct Dir {
    std::string path;
    bool all = false;            // every event in it
    std::set<std::string> only;  // else: listings of these entries only
  };
  vsrv::UniqueFd fd_;
  std::map<int, Dir> dirs_;
  std::map<std::string, std::string> names_;  // as given -> real path
};

std::vector<std::string> matching(const std::vector<std::string>& events, const std::string& what) {
  std::vector<std::string> out;
  for (const auto& e : events)
    if (e.size() >= what.size() && e.compare(e.size() - what.size(), what.size(), what) == 0)
      out.push_back(e);
  return out;
}

}  // namespace

TEST_CASE("one server's life reads nothing of the others", "[vserver][density]") {
  VsrvHarness h;
  const std::string spec = h.write_spec(kSpec);
  const std::string disk_spec = h.write_spec(kDiskSpec);
  std::vector<std::string> others;
  for (int i = 0; i < 5; ++i) {
    others.push_back(h.new_id("other"));
    h.run_detached(others.back(), kSpec);
  }
  const std::string servers = h.data() + "/servers";
  const std::string templates = h.data() + "/templates";

  Watch w;
  // Listing the server and template dirs is a scan.
  for (const auto& d : {h.root(), servers, templates}) w.add_listing(d);
  // Anything done in another server's dirs is a touch.
  const uint32_t any = IN_ACCESS | IN_OPEN | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE |
                       IN_MOVED_FROM | IN_MOVED_TO;
  for (const auto& id : others) {
    w.add(h.root() + "/" + id, any);
    w.add(servers + "/" + id, any);
  }

  for (const auto& s : {spec, disk_spec}) {
    std::string id = h.new_id("one");
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"create", "--template", vsrv::test::kTemplate, "-f", s, id},
             {"start", id},
             {"exec", id, "--", "true"},
             {"kill", id, "SIGCONT"},
             {"stop", "-t", "1", id},
             {"delete", id}}) {
      Result r = h.vsrv(args);
      INFO(args.front() << ": " << r.err);
      REQUIRE(r.status == 0);
      std::vector<std::string> seen = w.events();
      INFO(args.front() << " read: " << (seen.empty() ? "" : seen.front()));
      CHECK(seen.empty());
    }
  }
  // The probe works: list reads --root, template list reads every server's record.
  REQUIRE(h.vsrv({"list"}).status == 0);
  CHECK(matching(w.events(), h.root() + " listed").size() >= 1);
  REQUIRE(h.vsrv({"template", "list"}).status == 0);
  std::vector<std::string> seen = w.events();
  CHECK(matching(seen, servers + " listed").size() >= 1);
  CHECK(matching(seen, templates + " listed").size() >= 1);
  CHECK(matching(seen, " opened").size() >= others.size());
}

TEST_CASE("vsrv never reads the host's mount table", "[vserver][density]") {
  VsrvHarness h;
  const std::string spec = h.write_spec(kSpec);
  const std::string disk_spec = h.write_spec(kDiskSpec);
  for (const auto& s : {spec, disk_spec}) {
    std::string id = h.new_id("mt");
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"create", "--template", vsrv::test::kTemplate, "-f", s, id},
             {"start", id},
             {"stop", "-t", "1", id},
             {"delete", id}}) {
      // The vsrv process itself (its children set up the server in the
      // server's own mount namespace and are not traced).
      const std::string log = h.scratch() + "/strace-" + args.front() + ".log";
      std::vector<std::string> argv = {"/usr/bin/strace",
                                       "-qq",
                                       "-o",
                                       log,
                                       "-e",
                                       "trace=open,openat,openat2,stat,newfstatat,statx"};
      for (const auto& a : h.argv(args)) argv.push_back(a);
      Result r = vsrv::test::run(argv);
      INFO(args.front() << ": " << r.err);
      REQUIRE(r.status == 0);
      const std::string trace = vsrv::read_file(log);
      // The trace did see vsrv at work on this server.
      CHECK(trace.find(id) != std::string::npos);
      for (const char* table : {"mountinfo", "/proc/mounts", "/mounts\"", "/etc/mtab"}) {
        INFO(args.front() << " opened " << table);
        CHECK(trace.find(table) == std::string::npos);
      }
    }
  }
}
