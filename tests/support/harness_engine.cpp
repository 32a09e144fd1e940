#include "harness_engine.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include "harness.hpp"
#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

namespace vsrv::test {

namespace {

// This process's cgroup in the memory hierarchy (on these hosts the one
// that is not "/").
std::string own_cgroup() {
  for (const auto& line : lines_of(read_file("/proc/self/cgroup"))) {
    auto parts = split(line, ':');
    if (parts.size() == 3 && parts[1] == "memory") return parts[2] == "/" ? "" : parts[2];
  }
  return "";
}

std::vector<std::string> hierarchies() {
  std::vector<std::string> out;
  Result r = run({"/bin/ls", "/sys/fs/cgroup"});
  for (const auto& n : lines_of(r.out)) {
    std::string d = "/sys/fs/cgroup/" + n;
    if (path_exists(d + "/cgroup.procs")) out.push_back(d);
  }
  return out;
}

}  // namespace

bool path_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

CgroupParent::CgroupParent(const std::string& name) : path_(own_cgroup() + "/" + name) {
  for (const auto& h : hierarchies()) {
    std::string p = h;
    for (const auto& part : split(path_, '/')) {
      if (part.empty()) continue;
      p += "/" + part;
      if (!path_exists(p)) {
        created_.push_back(p);  // and everything below it
        break;
      }
    }
  }
}

CgroupParent::~CgroupParent() {
  // An engine's cleanup may still be finishing: retry for a while.
  long long deadline = now_ms() + 10000;
  for (;;) {
    bool left = false;
    for (const auto& top : created_) {
      Result r = run({"/usr/bin/find", top, "-depth", "-type", "d"});
      for (const auto& d : lines_of(r.out)) ::rmdir(d.c_str());
      left = left || path_exists(top);
    }
    if (!left || now_ms() > deadline) break;
    sleep_ms(100);
  }
}

NewHostDirs::NewHostDirs(const std::vector<std::string>& dirs) {
  for (const auto& d : dirs)
    if (!path_exists(d)) missing_.push_back(d);
}

NewHostDirs::~NewHostDirs() {
  for (const auto& d : missing_) {
    try {
      remove_tree(d);
    } catch (...) {
    }
  }
}

}  // namespace vsrv::test
