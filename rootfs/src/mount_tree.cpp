// build(): the whole mount tree of a server, in its own mount namespace.
#include "vsrv/rootfs/mount_tree.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string_view>

#include "vsrv/base/error.hpp"
#include "vsrv/rootfs/build_steps.hpp"
#include "vsrv/rootfs/mount_api.hpp"
#include "vsrv/rootfs/mount_options.hpp"
#include "vsrv/rootfs/safe_path.hpp"

namespace vsrv::rootfs {
namespace {

// Binds into /proc are refused except for the files lxcfs-style tools emulate.
constexpr std::array<std::string_view, 8> kProcBindable{
    "proc/stat",    "proc/meminfo",  "proc/cpuinfo", "proc/uptime",
    "proc/loadavg", "proc/slabinfo", "proc/net/dev", "proc/sys/kernel/ns_last_pid"};

std::string describe(const Mount& m) {
  std::string out = "mount " + m.destination + " (" + m.type;
  if (!m.source.empty() && m.source != m.type) out += " from " + m.source;
  return out + ")";
}

struct RootPropagation {
  unsigned long first;  // applied recursively to the whole tree before anything else
  uint64_t last = 0;    // applied to the new "/" at the end (shared, unbindable)
  bool last_recursive = false;
};

RootPropagation root_propagation(const std::string& name) {
  if (name.empty()) return {MS_PRIVATE};
  MountOptions o;
  try {
    o = parse_mount_options({name});
  } catch (const Error&) {
    o = {};
  }
  if (o.propagation == 0 || o.bind || o.attr_set || o.attr_clr || !o.params.empty()) {
    throw Error(ErrorKind::kUsage, "rootfs propagation \"" + name + "\" is not a propagation");
  }
  switch (o.propagation) {
    case MS_PRIVATE:
      return {MS_PRIVATE};
    case MS_SLAVE:
      return {MS_SLAVE};
    case MS_SHARED:  // a slave first, so nothing we mount reaches the host
      return {MS_SLAVE, MS_SHARED, o.propagation_recursive};
    default:
      return {MS_PRIVATE, MS_UNBINDABLE, o.propagation_recursive};
  }
}

// The root mount: an overlay, the root mount the runtime made, or the
// directory bound onto itself so it is a mount pivot_root can use. Returns
// an fd of its root.
UniqueFd mount_root(const Plan& plan) {
  if (plan.overlay.size() > 1) throw Error(ErrorKind::kUsage, "rootfs: at most one overlay");
  UniqueFd place(plan.rootfs_fd >= 0
                     ? ::fcntl(plan.rootfs_fd, F_DUPFD_CLOEXEC, 0)
                     : ::open(plan.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!place) throw SysError("rootfs " + plan.rootfs);
  UniqueFd root;
  if (plan.root_mount_fd >= 0) {
    attach(plan.root_mount_fd, place.get(), "mount the root on " + plan.rootfs);
    root.reset(::fcntl(plan.root_mount_fd, F_DUPFD_CLOEXEC, 0));
    if (!root) throw SysError("mount the root on " + plan.rootfs);
    return root;
  }
  if (plan.overlay.empty()) {
    std::string what = "bind rootfs " + plan.rootfs;
    root = clone_tree(place.get(), "", true, what);
    attach(root.get(), place.get(), what);
    return root;
  }
  const Overlay& o = plan.overlay.front();
  attach_disk(o);
  std::string what = "mount overlay on " + plan.rootfs;
  root = new_overlay(o, what);
  attach(root.get(), place.get(), what);
  return root;
}

void check_destination(const Mount& m, const std::string& dest, bool bind) {
  if (dest.empty()) throw Error(ErrorKind::kUsage, describe(m) + ": cannot mount over the root");
  if (dest == "proc") {
    if (m.type != "proc" || bind) {
      throw Error(ErrorKind::kUsage, describe(m) + ": only proc can be mounted on /proc");
    }
  } else if (dest.rfind("proc/", 0) == 0) {
    bool allowed = bind;
    if (allowed) {
      allowed = false;
      for (auto p : kProcBindable) allowed = allowed || dest == p;
    }
    if (!allowed) throw Error(ErrorKind::kUsage, describe(m) + ": cannot mount inside /proc");
  }
}

// /proc and /sys must be real directories of the rootfs: a symlink there
// would move proc or sysfs somewhere masks do not reach (CVE-2019-16884,
// CVE-2019-19921).
void refuse_symlinked(int root, const std::string& dest, const std::string& what) {
  if (dest != "proc" && dest != "sys") return;
  struct stat st;
  if (::fstatat(root, dest.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return;  // make_in_root creates it
    throw SysError(what);
  }
  if (!S_ISDIR(st.st_mode)) throw Error(what + ": /" + dest + " is not a directory in the rootfs");
}

// The place a destination was resolved to must meet the rule its literal
// path did: a symlink of the rootfs (/myproc -> /proc) must not lead a mount
// onto procfs, where it would replace the kernel's files (CVE-2019-19921).
void refuse_proc_target(int target, const std::string& dest, const std::string& what) {
  struct statfs fs;
  if (::fstatfs(target, &fs) < 0) throw SysError(what);
  if (fs.f_type == PROC_SUPER_MAGIC && dest != "proc" && dest.rfind("proc/", 0) != 0) {
    throw Error(ErrorKind::kUsage, what + ": the destination leads into /proc through a symlink");
  }
}

void mount_bind(int root, const Mount& m, const std::string& dest, const MountOptions& o,
                const std::string& what) {
  UniqueFd tree = clone_tree(AT_FDCWD, m.source, o.recursive, what);
  // Set what was asked; clearing may hit flags the kernel locked (mounts
  // inherited from a more privileged namespace): keep those as they are.
  if (set_attrs(tree.get(), o.attr_set, o.attr_clr, 0, false) < 0) {
    if (errno != EPERM || set_attrs(tree.get(), o.attr_set, 0, 0, false) < 0) {
      throw SysError(what);
    }
  }
  if (set_attrs(tree.get(), o.rec_attr_set, 0, 0, true) < 0) throw SysError(what);
  struct stat st;
  if (::fstat(tree.get(), &st) < 0) throw SysError(what);
  NodeKind kind = S_ISDIR(st.st_mode) ? NodeKind::kDirectory : NodeKind::kFile;
  UniqueFd target = make_in_root(root, dest, kind, what);
  refuse_proc_target(target.get(), dest, what);
  attach(tree.get(), target.get(), what);
  if (set_attrs(tree.get(), 0, 0, o.propagation, o.propagation_recursive) < 0) {
    throw SysError(what);
  }
}

bool same_namespace_as_init(const char* ns) {
  char self[64], init[64];
  std::string a_path = std::string("/proc/self/ns/") + ns, b_path = std::string("/proc/1/ns/") + ns;
  ssize_t a = ::readlink(a_path.c_str(), self, sizeof(self));
  ssize_t b = ::readlink(b_path.c_str(), init, sizeof(init));
  return a > 0 && b > 0 && std::string_view(self, a) == std::string_view(init, b);
}

// The host's cgroup2 mount: /sys/fs/cgroup (unified) or /sys/fs/cgroup/unified (hybrid).
std::string host_cgroup2(const std::string& what) {
  for (const char* path : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    struct statfs fs;
    if (::statfs(path, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) return path;
  }
  throw Error(what + ": the host has no cgroup2 mount to share");
}

// Returns the new mount's fd (the root of the new filesystem); invalid when
// a host mount was shared instead.
UniqueFd mount_filesystem(int root, const Mount& m, const std::string& dest, const MountOptions& o,
                          const std::string& what) {
  std::string type = m.type;
  uint64_t attrs = o.attr_set;
  UniqueFd mnt;
  if (type == "cgroup" || type == "cgroup2") {
    // Always the unified hierarchy; v1 controllers are not exposed.
    // Read-only unless asked otherwise.
    type = "cgroup2";
    if (!(o.attr_clr & MOUNT_ATTR_RDONLY)) attrs |= MOUNT_ATTR_RDONLY;
    auto share_host = [&] {
      MountOptions bind = o;
      bind.attr_set = attrs;
      bind.recursive = false;
      Mount host = m;
      host.source = host_cgroup2(what);
      mount_bind(root, host, dest, bind, what);
    };
    if (same_namespace_as_init("cgroup")) {
      // A new cgroup2 mount made from the host's cgroup namespace would reset
      // the host's root options (nsdelegate, memory_recursiveprot, ...):
      // share the host's mount instead.
      share_host();
      return UniqueFd();
    }
    try {
      mnt = new_filesystem(type, m.source.empty() ? type : m.source, o.params, attrs, what);
    } catch (const SysError& e) {
      // In a new user namespace /proc/1 is out of reach, so the check above
      // cannot tell; the kernel refuses cgroup2 from the host's cgroup
      // namespace there (EPERM): share the host's mount then too.
      if (e.err() != EPERM) throw;
      share_host();
      return UniqueFd();
    }
  } else {
    std::string source = m.source.empty() ? type : m.source;
    mnt = new_filesystem(type, source, o.params, attrs, what);
  }
  UniqueFd target = make_in_root(root, dest, NodeKind::kDirectory, what);
  refuse_proc_target(target.get(), dest, what);
  if (o.tmpcopyup) copy_tree(target.get(), mnt.get(), what + ": tmpcopyup");
  attach(mnt.get(), target.get(), what);
  if (set_attrs(mnt.get(), o.rec_attr_set, 0, 0, true) < 0 ||
      set_attrs(mnt.get(), 0, 0, o.propagation, o.propagation_recursive) < 0) {
    throw SysError(what);
  }
  return mnt;
}

void mount_one(int root, const Mount& m) {
  std::string what = describe(m);
  MountOptions o = parse_mount_options(m.options);
  bool bind = m.type == "bind" || o.bind;
  std::string dest = clean_path(m.destination);
  check_destination(m, dest, bind);
  refuse_symlinked(root, dest, what);
  if (o.remount) {
    UniqueFd target = open_in_root(root, dest);
    if (!target) throw SysError(what);
    refuse_proc_target(target.get(), dest, what);
    if (set_attrs(target.get(), o.attr_set, o.attr_clr, o.propagation, o.propagation_recursive) <
        0) {
      throw SysError(what);
    }
    return;
  }
  if (bind) return mount_bind(root, m, dest, o, what);
  UniqueFd mnt = mount_filesystem(root, m, dest, o, what);
  if (dest == "dev" && m.type == "tmpfs") populate_dev(mnt.get());
}

// Building in the host's own mount namespace would make the host's mounts
// private and litter them: refuse when we share pid 1's namespace.
void require_own_namespace() {
  if (same_namespace_as_init("mnt")) {
    throw Error("rootfs: refusing to build in the host's mount namespace");
  }
}

}  // namespace

void build(const Plan& plan) {
  RootPropagation propagation = root_propagation(plan.propagation);
  if (plan.rootfs.empty() || plan.rootfs.front() != '/') {
    throw Error(ErrorKind::kUsage, "rootfs path must be absolute: \"" + plan.rootfs + "\"");
  }
  require_own_namespace();
  if (::mount(nullptr, "/", nullptr, MS_REC | propagation.first, nullptr) < 0) {
    throw SysError("detach the mount tree from the host (propagation of /)");
  }
  {
    UniqueFd root = mount_root(plan);
    for (const auto& m : plan.mounts) mount_one(root.get(), m);
    create_devices(root.get(), plan.devices);
    if (plan.before_pivot) plan.before_pivot();
    enter_root(root.get(), plan.no_pivot);
  }
  UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw SysError("open /");
  mask_paths(root.get(), plan.masked_paths);
  readonly_paths(root.get(), plan.readonly_paths);
  if (plan.readonly && set_attrs(root.get(), MOUNT_ATTR_RDONLY, 0, 0, false) < 0) {
    throw SysError("make / read-only");
  }
  if (propagation.last != 0 &&
      set_attrs(root.get(), 0, 0, propagation.last, propagation.last_recursive) < 0) {
    throw SysError("set / propagation");
  }
}

}  // namespace vsrv::rootfs
