// The cgroup v1/hybrid backend: one directory per v1 hierarchy, plus the
// cgroup2 directory on a hybrid host (joined like runc does, no controllers).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hierarchy.hpp"
#include "vsrv/cgroups/cgroup.hpp"

namespace vsrv::cgroups::detail {

struct V1Dir {
  std::vector<std::string> controllers;
  std::string dir;
};

class V1Cgroup final : public Cgroup {
 public:
  V1Cgroup(std::vector<V1Dir> v1, std::optional<std::string> unified)
      : v1_(std::move(v1)), unified_(std::move(unified)) {}

  static std::unique_ptr<V1Cgroup> create(const Hierarchies& h,
                                          const std::vector<std::string>& comps, bool absolute);

  Backend backend() const override { return Backend::kV1; }
  std::vector<std::string> dirs() const override;
  void add(pid_t pid) override;
  int clone_into_fd() const override { return -1; }
  std::vector<pid_t> pids() const override;
  void kill_all(int sig) override;
  void freeze() override;
  void thaw() override;
  bool frozen() const override;
  void apply(const Resources& resources) override;
  Stats stats() const override;
  uint64_t oom_kills() const override;
  std::unique_ptr<OomWatch> watch_oom() const override;
  void remove() override;

 private:
  // The directory in the hierarchy of controller; empty if none.
  const std::string* find(const std::string& controller) const;
  // Same, or an Error naming field.
  const std::string& need(const std::string& controller, const std::string& field) const;
  void set_freezer(bool freeze);
  // In resources_v1_more.cpp: devices, blockIO, hugepageLimits, network, rdma.
  void apply_devices(const std::vector<DeviceRule>& rules);
  void apply_block_io(const BlockIoResources& b);
  void apply_hugepages_network_rdma(const Resources& r);

  std::vector<V1Dir> v1_;
  std::optional<std::string> unified_;
};

}  // namespace vsrv::cgroups::detail
