// The typed model of a server spec: the OCI runtime spec fields vsrv uses,
// plus the vsrv: section. Parsed from YAML or JSON by one parser.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vsrv/cgroups/cgroup.hpp"
#include "vsrv/isolation/namespaces.hpp"
#include "vsrv/isolation/process.hpp"
#include "vsrv/rootfs/mount_tree.hpp"

namespace vsrv::spec {

struct Process {
  bool terminal = false;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  isolation::User user;
  std::vector<isolation::Rlimit> rlimits;
  std::optional<isolation::Capabilities> capabilities;  // empty: none at all
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
};

struct Root {
  std::string path = "rootfs";  // relative to the bundle, or absolute
  bool readonly = false;
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;
};
struct Hooks {
  std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart,
      poststop;
};

struct Linux {
  std::vector<isolation::Namespace> namespaces;
  std::vector<isolation::IdMap> uid_mappings;
  std::vector<isolation::IdMap> gid_mappings;
  std::string cgroups_path;  // empty: "vsrv/<id>"
  cgroups::Resources resources;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::string rootfs_propagation;
  std::map<std::string, std::string> sysctl;
  std::vector<rootfs::Device> devices;
  std::optional<isolation::Seccomp> seccomp;
};

// A forwarded port: host_port on the host's addresses to port in the server.
struct PortMap {
  std::string proto = "tcp";  // tcp | udp
  uint16_t host_port = 0;
  uint16_t port = 0;
};

struct Network {
  std::string mode = "none";   // none | host | bridge | routed | ns
  std::string address;         // IPv4: "auto" or CIDR; empty = auto (bridge, routed)
  std::string address6;        // IPv6: "auto" or CIDR; empty = none
  int mtu = 0;                 // 0: the host's network config
  std::vector<PortMap> ports;  // "8080:80/tcp"
  std::string path;            // mode ns
};

// What OCI has no field for.
struct VsrvSection {
  std::string template_name;  // "template"
  Network network;
  bool onboot = false;
  std::string restart = "no";  // no | on-reboot | always
  bool idmap_auto = false;
  std::optional<int> stop_signal;  // signal number
  // "disk": the size of the server's own filesystem (its overlay upper and
  // work dirs live on it), in bytes; unset: no limit (a plain directory).
  std::optional<int64_t> disk;
  // "dns": nameservers written to the server's /etc/resolv.conf; empty:
  // taken from the host (see docs/virtual-servers.md).
  std::vector<std::string> dns;
};

struct Spec {
  std::string oci_version = "1.0.2";
  Root root;
  Process process;
  std::string hostname;
  std::vector<rootfs::Mount> mounts;
  Linux linux;
  Hooks hooks;
  std::map<std::string, std::string> annotations;
  VsrvSection vsrv;

  bool has_namespace(isolation::NsType type) const;
};

// The device cgroup rules of a server, in order: cgroups::default_device_rules()
// (deny all, then the standard devices), an allow rwm for each node of
// linux.devices, then `rules` (linux.resources.devices, or those of an
// update). A deny-all rule among `rules` (what engines write first) starts
// again from the defaults and the nodes, as runc always keeps them.
std::vector<cgroups::DeviceRule> server_device_rules(
    const std::vector<rootfs::Device>& nodes,
    const std::optional<std::vector<cgroups::DeviceRule>>& rules);
// True for a rule server_device_rules reads as "back to the defaults".
bool is_deny_all(const cgroups::DeviceRule& rule);

}  // namespace vsrv::spec
