// Helpers for tests that run container engines (podman, containerd) over
// vsrv: a cgroup parent below this process's own cgroup whose directories
// (in every hierarchy) are removed afterwards, and host directories that
// engines create on first use, removed afterwards when the test made them.
#pragma once

#include <string>
#include <vector>

namespace vsrv::test {

// <own memory cgroup>/<name>: engines are given it as their cgroup parent.
class CgroupParent {
 public:
  explicit CgroupParent(const std::string& name);
  ~CgroupParent();  // rmdir of everything created below, deepest first (retried 10 s)
  CgroupParent(const CgroupParent&) = delete;
  CgroupParent& operator=(const CgroupParent&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<std::string> created_;  // first missing directory per hierarchy
};

// Directories missing when constructed, removed (recursively) when destroyed.
class NewHostDirs {
 public:
  explicit NewHostDirs(const std::vector<std::string>& dirs);
  ~NewHostDirs();
  NewHostDirs(const NewHostDirs&) = delete;
  NewHostDirs& operator=(const NewHostDirs&) = delete;

 private:
  std::vector<std::string> missing_;
};

bool path_exists(const std::string& path);

}  // namespace vsrv::test
