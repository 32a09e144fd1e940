// Everything a benchmark run owns on the host, and its removal: a temp dir
// (bundles, specs, vsrv's --data), a state dir for both runtimes' --root (on
// tmpfs by default, as /run is on a normal host: state files are fsync'd, and
// on a disk that alone costs milliseconds per write), and one cgroup
// parent "vsrvbench-PID" that every server's relative cgroupsPath starts with,
// so both runtimes nest their cgroups under the caller's own cgroup and the
// benchmark can remove the parent they leave behind in every hierarchy.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace vsrv::bench {

// Ctrl-C (SIGINT), SIGTERM and SIGHUP set a flag instead of killing the
// benchmark; the loops check it and unwind through the cleanup.
void install_interrupt_handlers();
bool interrupted();
struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};
inline void check_interrupted() {
  if (interrupted()) throw Interrupted();
}

class Workspace {
 public:
  // state_parent: where the state dir is made (default /dev/shm, a tmpfs).
  explicit Workspace(const std::string& state_parent = "/dev/shm");
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& state_dir() const { return state_dir_; }
  // The filesystem type of state_dir ("tmpfs", "ext4", ...).
  std::string state_fs() const;
  // Relative cgroupsPath prefix shared by every server of this run.
  const std::string& cgroup_parent() const { return cgroup_parent_; }

  // Removes what is left (mounts under dir, dir, the cgroup parents) and
  // returns what could not be removed; empty when the host is clean. Runs at
  // most once (the destructor calls it if main did not).
  std::vector<std::string> cleanup();

 private:
  std::string dir_;
  std::string state_dir_;
  std::string cgroup_parent_;
  bool cleaned_ = false;
};

// The cgroup directories "<mount>/<own path>/<name>" in every cgroup hierarchy
// mounted here (v1 controllers and cgroup2), whether or not they exist.
std::vector<std::string> own_cgroup_dirs(const std::string& name);

// Mount points at or under dir, innermost last, from /proc/self/mountinfo.
std::vector<std::string> mounts_under(const std::string& dir);

}  // namespace vsrv::bench
