// OCI linux.sysctl: kernel parameters that belong to one of the server's
// namespaces. Others would change the host for everyone and are refused.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vsrv/isolation/namespaces.hpp"

namespace vsrv::isolation {

// The components of a key: "net.ipv4.ip_forward" and "net/ipv4/ip_forward"
// are both {net, ipv4, ip_forward} (with '/' a component may hold dots:
// "net/ipv4/conf/eth0.100/forwarding"). Empty when the key is malformed
// (empty components, ".", "..", or characters outside [A-Za-z0-9_.:@+-]).
std::vector<std::string> sysctl_components(std::string_view key);

// The namespace a key belongs to: kIpc (kernel.shm*, kernel.msg*,
// kernel.sem, kernel.sem_next_id, fs.mqueue.*), kUts (kernel.hostname,
// kernel.domainname), kNetwork (net.*); empty for every other key.
std::optional<NsType> sysctl_namespace(std::string_view key);

// Writes each value to /proc/sys/<key> for the calling process's
// namespaces, through a procfs instance of its own: a fresh proc mount that
// is never attached anywhere, checked to be procfs (fstatfs), and walked
// with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_XDEV), so
// no mount or symlink, however placed or raced, can redirect a write
// (the CVE-2025-52881 class). Keys are not checked here (validation
// does); an error names the key: "sysctl kernel.shmmax: ...".
void apply_sysctls(const std::map<std::string, std::string>& sysctls);

}  // namespace vsrv::isolation
