// The cgroup v2 (unified) backend: one directory in one hierarchy.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hierarchy.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/cgroups/cgroup.hpp"

namespace vsrv::cgroups::detail {

// Core-file operations on one cgroup2 directory, shared with the hybrid
// unified directory of the v1 backend.
bool v2_has_kill(const std::string& dir);
// cgroup.kill, then waits (poll on cgroup.events) for "populated 0".
void v2_kill(const std::string& dir);
void v2_freeze(const std::string& dir, bool freeze);  // returns once (un)frozen
bool v2_frozen(const std::string& dir);

// blockIO leaf weights are an Error on v2 (they were CFQ's).
void refuse_leaf_weights(const BlockIoResources& b);

class V2Cgroup final : public Cgroup {
 public:
  // dir: the leaf. base: the caller's own cgroup (relative path) or the
  // deepest directory that existed before create (absolute path): controllers
  // are enabled from there downwards. caller_base: base is the caller's own
  // cgroup, whose processes may be moved into a leaf (kCallerLeaf) so that it
  // can give controllers to its children.
  V2Cgroup(std::string mount, std::string base, std::string dir, bool caller_base = false);

  static std::unique_ptr<V2Cgroup> create(const V2Hierarchy& h,
                                          const std::vector<std::string>& comps, bool absolute);

  Backend backend() const override { return Backend::kV2; }
  std::vector<std::string> dirs() const override { return {dir_}; }
  void add(pid_t pid) override;
  int clone_into_fd() const override { return fd_.get(); }
  std::vector<pid_t> pids() const override;
  void kill_all(int sig) override;
  void freeze() override { v2_freeze(dir_, true); }
  void thaw() override { v2_freeze(dir_, false); }
  bool frozen() const override { return v2_frozen(dir_); }
  void apply(const Resources& resources) override;
  Stats stats() const override;
  uint64_t oom_kills() const override;
  std::unique_ptr<OomWatch> watch_oom() const override;
  void remove() override;

 private:
  // Makes `controller` available in dir_ by enabling it in cgroup.subtree_control
  // of base_ and every directory between base_ and dir_. Error names field.
  void enable(const std::string& controller, const std::string& field);
  // Enables cpu, io, memory and pids where base_ offers them, so that stats
  // count from the start; what cannot be enabled is left to apply() to report.
  void enable_available();
  // Moves every process of base_ into base_/kCallerLeaf.
  void move_to_caller_leaf(const std::string& field);
  // In resources_v2_more.cpp: devices, blockIO, hugepageLimits, rdma.
  void apply_block_io(const BlockIoResources& b);
  void apply_hugepages_rdma(const Resources& r);

  std::string mount_;
  std::string base_;
  std::string dir_;
  bool caller_base_ = false;
  UniqueFd fd_;  // O_DIRECTORY fd of dir_, for clone3(CLONE_INTO_CGROUP)
};

}  // namespace vsrv::cgroups::detail
