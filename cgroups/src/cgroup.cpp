// The factories: which backend, which directories.
#include "vsrv/cgroups/cgroup.hpp"

#include "cgfs.hpp"
#include "hierarchy.hpp"
#include "v1.hpp"
#include "v2.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/cgroups/backends.hpp"
#include "vsrv/cgroups/parse.hpp"

namespace vsrv::cgroups {

using namespace detail;

std::unique_ptr<Cgroup> Cgroup::create(const std::string& path) {
  std::vector<std::string> comps = cgroup_path_components(path);
  bool absolute = path[0] == '/';
  Hierarchies h = discover_hierarchies();
  if (h.pure_v2) {
    if (!h.v2) throw Error("create cgroup " + path + ": /proc/self/cgroup has no cgroup2 entry");
    return V2Cgroup::create(*h.v2, comps, absolute);
  }
  if (h.v1.empty() && !h.v2)
    throw Error("create cgroup " + path + ": no cgroup hierarchy is mounted under " + kCgroupRoot);
  return V1Cgroup::create(h, comps, absolute);
}

std::vector<std::string> Cgroup::dirs_for(const std::string& path) {
  std::vector<std::string> comps = cgroup_path_components(path);
  bool absolute = path[0] == '/';
  auto leaf = [&](const std::string& mount, const std::string& own) {
    std::string dir = absolute || own == "/" ? mount : mount + own;
    for (const std::string& c : comps) dir = join(dir, c);
    return dir;
  };
  Hierarchies h = discover_hierarchies();
  std::vector<std::string> out;
  if (!h.pure_v2)
    for (const V1Hierarchy& x : h.v1) out.push_back(leaf(x.mount, x.own));
  if (h.v2) out.push_back(leaf(h.v2->mount, h.v2->own));
  return out;
}

int Cgroup::parents_made_for(const std::string& path) {
  if (path.empty() || path[0] == '/') return 0;
  return static_cast<int>(cgroup_path_components(path).size()) - 1;
}

void Cgroup::remove_empty_parents(const std::vector<std::string>& dirs, int levels) {
  const std::string prefix = std::string(kCgroupRoot) + "/";
  for (const std::string& d : dirs) {
    std::string dir = d;
    for (int i = 0; i < levels; ++i) {
      dir = parent_of(dir);
      if (dir.rfind(prefix, 0) != 0) break;  // never outside the cgroup mounts
      // ENOTEMPTY/EBUSY: another server (or a process) is still in it; a
      // hierarchy's root is a mount point (EBUSY).
      if (::rmdir(dir.c_str()) < 0) break;
    }
  }
}

std::unique_ptr<Cgroup> create_v2_at(const std::string& mount, const std::string& path) {
  if (!is_cgroup2(mount)) throw Error("create cgroup " + path + ": " + mount + " is not cgroup2");
  std::vector<std::string> comps = cgroup_path_components(path);
  V2Hierarchy h{mount, "/"};
  for (const SelfCgroupEntry& e : parse_self_cgroup(read_file("/proc/self/cgroup")))
    if (e.id == 0 && e.controllers.empty()) h.own = caller_base(e.path);
  return V2Cgroup::create(h, comps, path[0] == '/');
}

Backend Cgroup::host_backend() {
  static const Backend b = is_cgroup2(kCgroupRoot) ? Backend::kV2 : Backend::kV1;
  return b;
}

std::unique_ptr<Cgroup> Cgroup::load(const std::vector<std::string>& dirs) {
  if (dirs.empty()) throw Error("load cgroup: no directories recorded");
  const std::string prefix = std::string(kCgroupRoot) + "/";
  const std::string unified = prefix + "unified";
  bool pure_v2 = host_backend() == Backend::kV2;
  for (const std::string& d : dirs) {
    if (d.rfind(prefix, 0) != 0 || d.size() == prefix.size())
      throw Error("load cgroup: " + d + " is not under " + kCgroupRoot);
    for (const std::string& c : split(d, '/'))
      if (c == "..") throw Error("load cgroup: " + d + ": \"..\" is not allowed");
  }
  auto in_unified = [&](const std::string& d) { return d.rfind(unified + "/", 0) == 0; };
  if (dirs.size() == 1 && (pure_v2 || in_unified(dirs[0]))) {
    std::string mount = pure_v2 ? kCgroupRoot : unified;
    return std::make_unique<V2Cgroup>(mount, parent_of(dirs[0]), dirs[0]);
  }
  std::vector<V1Dir> v1;
  std::optional<std::string> uni;
  for (const std::string& d : dirs) {
    if (in_unified(d)) {
      uni = d;
      continue;
    }
    std::string rest = d.substr(prefix.size());
    std::string mount = prefix + rest.substr(0, rest.find('/'));
    v1.push_back({controllers_of_mount(mount), d});
  }
  return std::make_unique<V1Cgroup>(std::move(v1), std::move(uni));
}

}  // namespace vsrv::cgroups
