#include "hierarchy.hpp"

#include "cgfs.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"

namespace vsrv::cgroups::detail {

static std::string mount_name(const std::string& controller) {
  if (controller.rfind("name=", 0) == 0) return controller.substr(5);
  return controller;
}

static void check_own(const std::string& own) {
  // Inside a cgroup namespace, cgroups outside it read as "/..".
  for (const std::string& c : split(own, '/'))
    if (c == "..")
      throw Error("the calling process's cgroup " + own + " lies outside its cgroup namespace");
}

Hierarchies discover_hierarchies(const std::vector<SelfCgroupEntry>& entries) {
  Hierarchies h;
  h.pure_v2 = is_cgroup2(kCgroupRoot);
  for (const SelfCgroupEntry& e : entries) {
    if (e.id == 0 && e.controllers.empty()) {
      std::string mount = h.pure_v2 ? kCgroupRoot : join(kCgroupRoot, "unified");
      if (!h.pure_v2 && !is_cgroup2(mount)) continue;
      check_own(e.path);
      h.v2 = V2Hierarchy{mount, caller_base(e.path)};
      continue;
    }
    // A pure v2 host: v1 (named) hierarchies mounted elsewhere are not ours.
    if (h.pure_v2 || e.controllers.empty()) continue;
    std::string joined;
    for (const std::string& c : e.controllers)
      joined += (joined.empty() ? "" : ",") + mount_name(c);
    for (const std::string& name : {joined, mount_name(e.controllers.front())}) {
      std::string mount = join(kCgroupRoot, name);
      if (is_cgroup1(mount)) {
        check_own(e.path);
        h.v1.push_back(V1Hierarchy{mount, e.controllers, e.path});
        break;
      }
    }
    // A hierarchy not mounted at the conventional place is not used.
  }
  return h;
}

Hierarchies discover_hierarchies() {
  return discover_hierarchies(parse_self_cgroup(read_file("/proc/self/cgroup")));
}

std::vector<std::string> controllers_of_mount(const std::string& mount) {
  std::string name = mount.substr(mount.find_last_of('/') + 1);
  std::vector<std::string> out = split(name, ',');
  // Named hierarchies carry no controller; "systemd" is the only one mounted here by convention.
  if (out.size() == 1 && out[0] == "systemd") out[0] = "name=systemd";
  return out;
}

}  // namespace vsrv::cgroups::detail
