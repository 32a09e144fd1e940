#include "vsrv/runtime/check.hpp"

#include <algorithm>

#include "vsrv/base/file.hpp"

namespace vsrv::runtime {
namespace {

std::string read_sysctl(const std::string& name) {
  std::string path = "/proc/sys/" + name;
  std::replace(path.begin() + 10, path.end(), '.', '/');
  try {
    return trim(try_read_file(path).value_or(""));
  } catch (...) {
    return "";
  }
}

uint64_t number(const std::string& text) {
  try {
    return std::stoull(text);
  } catch (...) {
    return 0;
  }
}

// The highest kernel.pid_max a 64-bit kernel takes (PID_MAX_LIMIT).
constexpr uint64_t kPidMaxLimit = 4194304;

HostCheck item(const std::string& name, uint64_t needed, const std::string& limits) {
  HostCheck c{name, read_sysctl(name), needed, true, limits};
  if (!c.current.empty()) c.ok = number(c.current) >= needed;
  return c;
}

}  // namespace

std::vector<HostCheck> check_host(uint64_t n) {
  // fs.file-nr: allocated, free, max. The host's own use is the baseline.
  uint64_t files_now = number(split(read_sysctl("fs.file-nr"), '\t').front());
  std::vector<HostCheck> out = {
      item("fs.inotify.max_user_instances", 128 + 8 * n,
           "inotify instances of one uid: every server's root is host root without idmap; "
           "systemd and udev in servers fail with \"Too many open files\""),
      item("fs.inotify.max_user_watches", 8192 + 1024 * n,
           "inotify watches of one uid: file watchers in servers stop seeing changes"),
      item("kernel.keys.root_maxkeys", 1000 + 20 * n,
           "keys of uid 0: session keyrings of logins (pam_keyinit) in servers"),
      item("kernel.keys.root_maxbytes", 25000 + 2000 * n, "bytes of keys of uid 0"),
      item("kernel.keys.maxkeys", 2000,
           "keys per non-root uid: with idmap: auto each server's root is its own uid"),
      item("kernel.keys.maxbytes", 2000000, "bytes of keys per non-root uid (idmap: auto)"),
      item("kernel.pid_max", std::min<uint64_t>(32768 + 128 * n, kPidMaxLimit),
           std::string("pids: every process and thread of every server, plus one monitor each") +
               (32768 + 128 * n > kPidMaxLimit
                    ? " (the kernel takes at most 4194304: fewer pids per server)"
                    : "")),
      item("kernel.threads-max", 32768 + 128 * n, "threads on the host"),
      item("net.ipv4.neigh.default.gc_thresh2", 512 + n,
           "IPv4 neighbour entries kept without pressure: one per bridged server"),
      item("net.ipv4.neigh.default.gc_thresh3", 1024 + n,
           "IPv4 neighbour entries at most: beyond, \"neighbour table overflow\" and lost "
           "packets"),
      item("net.ipv6.neigh.default.gc_thresh3", 1024 + n, "IPv6 neighbour entries at most"),
      item("fs.file-max", files_now + 256 * n, "open files on the host"),
      item("user.max_mnt_namespaces", 64 + n, "mount namespaces: one per server"),
      item("user.max_pid_namespaces", 64 + n, "pid namespaces: one per server"),
      item("user.max_net_namespaces", 64 + n, "network namespaces: one per server"),
      item("user.max_uts_namespaces", 64 + n, "uts namespaces: one per server"),
      item("user.max_ipc_namespaces", 64 + n, "ipc namespaces: one per server"),
      item("user.max_cgroup_namespaces", 64 + n, "cgroup namespaces: one per server"),
      item("user.max_user_namespaces", 64 + n, "user namespaces: one per server with idmap"),
      item("vm.max_map_count", 262144,
           "memory maps per process, not per host: databases and JVMs in servers want 262144"),
  };
  return out;
}

}  // namespace vsrv::runtime
