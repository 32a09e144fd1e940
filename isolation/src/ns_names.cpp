// Namespace name tables: OCI names, /proc/PID/ns entry names, clone flags.
#include <sched.h>

#include "vsrv/isolation/namespaces.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace vsrv::isolation {

namespace {

struct NsInfo {
  NsType type;
  std::string_view oci_name;
  std::string_view proc_name;
  int flag;
};

constexpr NsInfo kNamespaces[] = {
    {NsType::kPid, "pid", "pid", CLONE_NEWPID},
    {NsType::kNetwork, "network", "net", CLONE_NEWNET},
    {NsType::kMount, "mount", "mnt", CLONE_NEWNS},
    {NsType::kIpc, "ipc", "ipc", CLONE_NEWIPC},
    {NsType::kUts, "uts", "uts", CLONE_NEWUTS},
    {NsType::kUser, "user", "user", CLONE_NEWUSER},
    {NsType::kCgroup, "cgroup", "cgroup", CLONE_NEWCGROUP},
    {NsType::kTime, "time", "time", CLONE_NEWTIME},
};

const NsInfo& info(NsType type) {
  for (const auto& ns : kNamespaces) {
    if (ns.type == type) return ns;
  }
  return kNamespaces[0];  // unreachable for valid enum values
}

}  // namespace

std::optional<NsType> ns_type_from_name(std::string_view name) {
  for (const auto& ns : kNamespaces) {
    if (ns.oci_name == name) return ns.type;
  }
  return std::nullopt;
}

std::string_view ns_name(NsType type) {
  return info(type).oci_name;
}

std::string_view ns_proc_name(NsType type) {
  return info(type).proc_name;
}

int ns_clone_flag(NsType type) {
  return info(type).flag;
}

unsigned long clone_flags(const std::vector<Namespace>& namespaces) {
  unsigned long flags = 0;
  for (const auto& ns : namespaces) {
    if (ns.path.empty()) flags |= static_cast<unsigned long>(ns_clone_flag(ns.type));
  }
  return flags;
}

}  // namespace vsrv::isolation
