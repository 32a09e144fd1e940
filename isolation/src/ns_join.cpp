// Joining existing namespaces: by OCI path (create/run) and by a running
// process's /proc/PID/ns entries (exec).
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include <cerrno>

#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/isolation/namespaces.hpp"

namespace vsrv::isolation {

namespace {

std::string what_ns(NsType type) {
  return std::string(ns_name(type)) + " namespace";
}

// Order of setns: the user namespace first (it grants the capabilities needed
// to join the namespaces it owns), pid last (it only affects children).
int join_rank(NsType type) {
  switch (type) {
    case NsType::kUser:
      return 0;
    case NsType::kPid:
      return 2;
    default:
      return 1;
  }
}

void do_setns(int fd, NsType type, const std::string& path) {
  if (::setns(fd, ns_clone_flag(type)) < 0) {
    throw SysError("join " + what_ns(type) + (path.empty() ? "" : " " + path));
  }
}

// True when fd refers to the namespace the caller is already in.
bool same_as_own(int fd, NsType type) {
  struct stat theirs, ours;
  std::string own = "/proc/self/ns/" + std::string(ns_proc_name(type));
  if (::fstat(fd, &theirs) < 0) return false;
  if (::stat(own.c_str(), &ours) < 0) return false;
  return theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev;
}

}  // namespace

void join_namespace_paths(const std::vector<Namespace>& namespaces) {
  struct Opened {
    NsType type;
    const std::string* path;
    UniqueFd fd;
  };
  std::vector<Opened> opened;
  // Open everything first: joining the mount namespace changes what paths mean.
  for (const auto& ns : namespaces) {
    if (ns.path.empty() || ns.type == NsType::kPid) continue;
    UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw SysError("open " + what_ns(ns.type) + " " + ns.path);
    opened.push_back({ns.type, &ns.path, std::move(fd)});
  }
  for (int rank = 0; rank < 2; ++rank) {
    for (const auto& o : opened) {
      if (join_rank(o.type) == rank) do_setns(o.fd.get(), o.type, *o.path);
    }
  }
}

void ProcessNamespaces::close() {
  for (auto& [type, fd] : fds) {
    if (fd >= 0) ::close(fd);
  }
  fds.clear();
}

ProcessNamespaces open_process_namespaces(pid_t pid) {
  static constexpr NsType kOrder[] = {NsType::kUser, NsType::kMount,   NsType::kUts,
                                      NsType::kIpc,  NsType::kNetwork, NsType::kCgroup,
                                      NsType::kTime, NsType::kPid};
  ProcessNamespaces result;
  try {
    for (NsType type : kOrder) {
      std::string path = "/proc/" + std::to_string(pid) + "/ns/" + std::string(ns_proc_name(type));
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        // A kernel without this namespace type has no entry for it.
        if (errno == ENOENT && ::access(("/proc/" + std::to_string(pid)).c_str(), F_OK) == 0)
          continue;
        throw SysError("open " + what_ns(type) + " of process " + std::to_string(pid));
      }
      result.fds.emplace_back(type, fd);
    }
  } catch (...) {
    result.close();
    throw;
  }
  return result;
}

void join_process_namespaces(const ProcessNamespaces& ns, bool include_pid) {
  // Decide what to join before joining anything: after setns into another
  // mount namespace, /proc/self may no longer be the procfs we compared with.
  std::vector<std::pair<NsType, int>> todo;
  for (const auto& [type, fd] : ns.fds) {
    if (type == NsType::kPid && !include_pid) continue;
    if (same_as_own(fd, type)) continue;
    todo.emplace_back(type, fd);
  }
  for (int rank = 0; rank < 3; ++rank) {
    for (const auto& [type, fd] : todo) {
      if (join_rank(type) == rank) do_setns(fd, type, "");
    }
  }
}

}  // namespace vsrv::isolation
