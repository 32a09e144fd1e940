#include "vsrv/runtime/spec.hpp"

#include <algorithm>

namespace vsrv::spec {

bool Spec::has_namespace(isolation::NsType type) const {
  return std::any_of(linux.namespaces.begin(), linux.namespaces.end(),
                     [type](const isolation::Namespace& ns) { return ns.type == type; });
}

}  // namespace vsrv::spec

namespace vsrv::spec {

bool is_deny_all(const cgroups::DeviceRule& rule) {
  return rule.type == 'a' && !rule.allow;
}

std::vector<cgroups::DeviceRule> server_device_rules(
    const std::vector<rootfs::Device>& nodes,
    const std::optional<std::vector<cgroups::DeviceRule>>& rules) {
  std::vector<cgroups::DeviceRule> base = cgroups::default_device_rules();
  for (const rootfs::Device& d : nodes) {
    if (d.type == 'p') continue;  // a fifo is no device
    base.push_back({true, d.type == 'b' ? 'b' : 'c', static_cast<uint32_t>(d.major),
                    static_cast<uint32_t>(d.minor), cgroups::kDevAll});
  }
  std::vector<cgroups::DeviceRule> out = base;
  if (rules)
    for (const cgroups::DeviceRule& r : *rules) {
      if (is_deny_all(r))
        out.insert(out.end(), base.begin(), base.end());
      else
        out.push_back(r);
    }
  return out;
}

}  // namespace vsrv::spec
