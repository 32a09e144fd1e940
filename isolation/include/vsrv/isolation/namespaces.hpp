// Linux namespaces: names, clone flags, joining by path, id mappings.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vsrv::isolation {

enum class NsType { kPid, kNetwork, kMount, kIpc, kUts, kUser, kCgroup, kTime };

struct Namespace {
  NsType type;
  std::string path;  // empty: create a new one; else join the namespace at this path
};

// OCI names: "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time".
std::optional<NsType> ns_type_from_name(std::string_view name);
std::string_view ns_name(NsType type);
// Entry name under /proc/PID/ns/ ("pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time").
std::string_view ns_proc_name(NsType type);
int ns_clone_flag(NsType type);

// CLONE_NEW* flags for every namespace in the list that has no path.
unsigned long clone_flags(const std::vector<Namespace>& namespaces);

// In the child: setns() into every namespace that has a path, the user
// namespace first. All paths are opened before the first setns. The pid
// namespace is skipped (it must be joined by the parent before clone).
void join_namespace_paths(const std::vector<Namespace>& namespaces);

// For exec: open /proc/PID/ns/<each type> of a server's init. The returned fds
// are joined later by join_process_namespaces (in a forked child).
struct ProcessNamespaces {
  std::vector<std::pair<NsType, int>> fds;  // owned; closed by close()
  void close();
};
ProcessNamespaces open_process_namespaces(pid_t pid);
// setns() into each (user first, pid last; pid only affects children). Skips a
// namespace that is the same as the caller's.
void join_process_namespaces(const ProcessNamespaces& ns, bool include_pid);

struct IdMap {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};
// The host id of id through maps; id itself when maps is empty (no user
// namespace of its own) or does not map it.
uint32_t host_id(const std::vector<IdMap>& maps, uint32_t id);

// Parent side: writes /proc/PID/uid_map and gid_map ("deny" to setgroups is not
// written: the maps are written by a privileged parent).
void write_id_maps(pid_t pid, const std::vector<IdMap>& uid_maps,
                   const std::vector<IdMap>& gid_maps);

}  // namespace vsrv::isolation
