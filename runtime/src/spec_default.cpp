// The default spec (a safe busybox shell) as a model, as commented YAML and
// as an OCI config.json; and any spec as config.json.
#include <cctype>
#include <nlohmann/json.hpp>
#include <sstream>

#include "vsrv/isolation/process.hpp"
#include "vsrv/rootfs/mount_tree.hpp"
#include "vsrv/runtime/spec_parser.hpp"

namespace vsrv::spec {

Spec default_spec() {
  Spec s;
  s.oci_version = "1.0.2";
  s.process.terminal = true;
  s.process.args = {"sh"};
  s.process.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                   "TERM=xterm"};
  s.process.cwd = "/";
  s.process.user = {};
  s.process.rlimits = {{"RLIMIT_NOFILE", 1024, 1024}};
  s.process.capabilities = isolation::default_capabilities();
  s.process.no_new_privileges = true;
  s.root = {"rootfs", false};
  s.mounts = rootfs::default_mounts();
  using isolation::NsType;
  for (NsType t : {NsType::kPid, NsType::kNetwork, NsType::kIpc, NsType::kUts, NsType::kMount,
                   NsType::kCgroup}) {
    s.linux.namespaces.push_back({t, ""});
  }
  s.linux.masked_paths = rootfs::default_masked_paths();
  s.linux.readonly_paths = rootfs::default_readonly_paths();
  s.linux.seccomp = isolation::default_seccomp();
  s.vsrv.template_name = "busybox";
  s.vsrv.network.mode = "none";
  return s;
}

namespace {

using nlohmann::ordered_json;

ordered_json seccomp_json(const isolation::Seccomp& sc) {
  ordered_json j;
  j["defaultAction"] = sc.default_action;
  if (sc.default_errno_ret) j["defaultErrnoRet"] = *sc.default_errno_ret;
  if (!sc.architectures.empty()) j["architectures"] = sc.architectures;
  if (!sc.flags.empty()) j["flags"] = sc.flags;
  ordered_json rules = ordered_json::array();
  for (const isolation::SeccompRule& r : sc.syscalls) {
    ordered_json rule;
    rule["names"] = r.names;
    rule["action"] = r.action;
    if (r.errno_ret) rule["errnoRet"] = *r.errno_ret;
    for (const isolation::SeccompArg& a : r.args) {
      rule["args"].push_back(
          {{"index", a.index}, {"value", a.value}, {"valueTwo", a.value_two}, {"op", a.op}});
    }
    rules.push_back(rule);
  }
  if (!rules.empty()) j["syscalls"] = rules;
  return j;
}

ordered_json resources_json(const cgroups::Resources& r) {
  ordered_json j = ordered_json::object();
  const auto& m = r.memory;
  if (m.limit) j["memory"]["limit"] = *m.limit;
  if (m.reservation) j["memory"]["reservation"] = *m.reservation;
  if (m.swap) j["memory"]["swap"] = *m.swap;
  if (m.disable_oom_killer) j["memory"]["disableOOMKiller"] = *m.disable_oom_killer;
  if (m.swappiness) j["memory"]["swappiness"] = *m.swappiness;
  const auto& c = r.cpu;
  if (c.shares) j["cpu"]["shares"] = *c.shares;
  if (c.quota) j["cpu"]["quota"] = *c.quota;
  if (c.period) j["cpu"]["period"] = *c.period;
  if (c.burst) j["cpu"]["burst"] = *c.burst;
  if (c.cpus) j["cpu"]["cpus"] = *c.cpus;
  if (c.mems) j["cpu"]["mems"] = *c.mems;
  if (c.idle) j["cpu"]["idle"] = *c.idle ? 1 : 0;  // OCI: an integer
  if (r.pids.limit) j["pids"]["limit"] = *r.pids.limit;
  if (!r.unified.empty()) j["unified"] = r.unified;
  if (r.devices) {
    j["devices"] = ordered_json::array();
    for (const auto& d : *r.devices) {
      ordered_json dj = {{"allow", d.allow}, {"type", std::string(1, d.type)}};
      if (d.major) dj["major"] = *d.major;
      if (d.minor) dj["minor"] = *d.minor;
      dj["access"] = cgroups::access_string(d.access);
      j["devices"].push_back(dj);
    }
  }
  const auto& b = r.block_io;
  if (b.weight) j["blockIO"]["weight"] = *b.weight;
  if (b.leaf_weight) j["blockIO"]["leafWeight"] = *b.leaf_weight;
  for (const auto& w : b.weight_devices) {
    ordered_json wj = {{"major", w.major}, {"minor", w.minor}};
    if (w.weight) wj["weight"] = *w.weight;
    if (w.leaf_weight) wj["leafWeight"] = *w.leaf_weight;
    j["blockIO"]["weightDevice"].push_back(wj);
  }
  const std::pair<const char*, const std::vector<cgroups::ThrottleDevice>*> throttles[] = {
      {"throttleReadBpsDevice", &b.read_bps},
      {"throttleWriteBpsDevice", &b.write_bps},
      {"throttleReadIOPSDevice", &b.read_iops},
      {"throttleWriteIOPSDevice", &b.write_iops}};
  for (const auto& [name, list] : throttles)
    for (const auto& t : *list)
      j["blockIO"][name].push_back({{"major", t.major}, {"minor", t.minor}, {"rate", t.rate}});
  for (const auto& h : r.hugepage_limits)
    j["hugepageLimits"].push_back({{"pageSize", h.page_size}, {"limit", h.limit}});
  if (r.network.class_id) j["network"]["classID"] = *r.network.class_id;
  for (const auto& [name, prio] : r.network.priorities)
    j["network"]["priorities"].push_back({{"name", name}, {"priority", prio}});
  for (const auto& [name, limit] : r.rdma) {
    ordered_json rj = ordered_json::object();
    if (limit.hca_handles) rj["hcaHandles"] = *limit.hca_handles;
    if (limit.hca_objects) rj["hcaObjects"] = *limit.hca_objects;
    j["rdma"][name] = rj;
  }
  return j;
}

ordered_json idmaps_json(const std::vector<isolation::IdMap>& maps) {
  ordered_json j = ordered_json::array();
  for (const auto& m : maps) {
    j.push_back({{"containerID", m.container_id}, {"hostID", m.host_id}, {"size", m.size}});
  }
  return j;
}

ordered_json spec_json(const Spec& s) {
  ordered_json j;
  j["ociVersion"] = s.oci_version;
  const Process& p = s.process;
  ordered_json& pj = j["process"];
  pj["terminal"] = p.terminal;
  pj["user"] = {{"uid", p.user.uid}, {"gid", p.user.gid}};
  if (p.user.umask) pj["user"]["umask"] = *p.user.umask;
  if (!p.user.additional_gids.empty()) pj["user"]["additionalGids"] = p.user.additional_gids;
  pj["args"] = p.args;
  pj["env"] = p.env;
  pj["cwd"] = p.cwd;
  if (p.capabilities) {
    const auto& c = *p.capabilities;
    pj["capabilities"] = {{"bounding", c.bounding},
                          {"effective", c.effective},
                          {"permitted", c.permitted},
                          {"inheritable", c.inheritable},
                          {"ambient", c.ambient}};
  }
  if (!p.rlimits.empty()) {
    for (const auto& r : p.rlimits) {
      pj["rlimits"].push_back({{"type", r.type}, {"soft", r.soft}, {"hard", r.hard}});
    }
  }
  pj["noNewPrivileges"] = p.no_new_privileges;
  if (p.oom_score_adj) pj["oomScoreAdj"] = *p.oom_score_adj;

  j["root"] = {{"path", s.root.path}, {"readonly", s.root.readonly}};
  if (!s.hostname.empty()) j["hostname"] = s.hostname;
  j["mounts"] = ordered_json::array();
  for (const rootfs::Mount& m : s.mounts) {
    ordered_json mj;
    mj["destination"] = m.destination;
    if (!m.type.empty()) mj["type"] = m.type;
    if (!m.source.empty()) mj["source"] = m.source;
    if (!m.options.empty()) mj["options"] = m.options;
    j["mounts"].push_back(mj);
  }

  const std::pair<const char*, const std::vector<Hook>*> hook_lists[] = {
      {"prestart", &s.hooks.prestart},
      {"createRuntime", &s.hooks.create_runtime},
      {"createContainer", &s.hooks.create_container},
      {"startContainer", &s.hooks.start_container},
      {"poststart", &s.hooks.poststart},
      {"poststop", &s.hooks.poststop}};
  for (const auto& [name, hooks] : hook_lists) {
    for (const Hook& h : *hooks) {
      ordered_json hj;
      hj["path"] = h.path;
      if (!h.args.empty()) hj["args"] = h.args;
      if (!h.env.empty()) hj["env"] = h.env;
      if (h.timeout) hj["timeout"] = *h.timeout;
      j["hooks"][name].push_back(hj);
    }
  }
  if (!s.annotations.empty()) j["annotations"] = s.annotations;

  const Linux& l = s.linux;
  ordered_json& lj = j["linux"];
  lj["namespaces"] = ordered_json::array();
  for (const isolation::Namespace& ns : l.namespaces) {
    ordered_json nj = {{"type", std::string(isolation::ns_name(ns.type))}};
    if (!ns.path.empty()) nj["path"] = ns.path;
    lj["namespaces"].push_back(nj);
  }
  if (!l.uid_mappings.empty()) lj["uidMappings"] = idmaps_json(l.uid_mappings);
  if (!l.gid_mappings.empty()) lj["gidMappings"] = idmaps_json(l.gid_mappings);
  if (!l.cgroups_path.empty()) lj["cgroupsPath"] = l.cgroups_path;
  if (ordered_json r = resources_json(l.resources); !r.empty()) lj["resources"] = r;
  if (!l.masked_paths.empty()) lj["maskedPaths"] = l.masked_paths;
  if (!l.readonly_paths.empty()) lj["readonlyPaths"] = l.readonly_paths;
  if (!l.rootfs_propagation.empty()) lj["rootfsPropagation"] = l.rootfs_propagation;
  if (!l.sysctl.empty()) lj["sysctl"] = l.sysctl;
  if (l.seccomp) lj["seccomp"] = seccomp_json(*l.seccomp);

  const VsrvSection& v = s.vsrv;
  ordered_json& vj = j["vsrv"];
  if (!v.template_name.empty()) vj["template"] = v.template_name;
  vj["network"] = {{"mode", v.network.mode}};
  if (!v.network.address.empty()) vj["network"]["address"] = v.network.address;
  if (!v.network.address6.empty()) vj["network"]["address6"] = v.network.address6;
  if (v.network.mtu) vj["network"]["mtu"] = v.network.mtu;
  for (const PortMap& p : v.network.ports) {
    vj["network"]["ports"].push_back(std::to_string(p.host_port) + ":" + std::to_string(p.port) +
                                     "/" + p.proto);
  }
  if (!v.network.path.empty()) vj["network"]["path"] = v.network.path;
  vj["onboot"] = v.onboot;
  vj["restart"] = v.restart;
  vj["idmap"] = v.idmap_auto ? ordered_json("auto") : ordered_json(false);
  if (v.stop_signal) vj["stopSignal"] = *v.stop_signal;
  if (v.disk) vj["disk"] = *v.disk;
  if (!v.dns.empty()) vj["dns"] = v.dns;
  return j;
}

// A YAML scalar: plain when it cannot be read as anything but this string,
// else a JSON string (which is valid YAML double-quoted style).
std::string y(const std::string& s) {
  static const char* const kWords[] = {"true", "false", "null", "yes", "no", "on", "off", "y", "n"};
  bool plain =
      !s.empty() && (std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '/' || s[0] == '_');
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '/' && c != '.' &&
        c != '-' && c != '=' && c != '+') {
      plain = false;
    }
  }
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* w : kWords) {
    if (lower == w) plain = false;
  }
  return plain ? s : nlohmann::json(s).dump();
}

// "[a, b, c]", wrapped before column 100; continuation lines start at indent.
std::string flow(const std::vector<std::string>& items, size_t column, size_t indent) {
  std::string out = "[";
  size_t col = column + 1;
  for (size_t i = 0; i < items.size(); ++i) {
    std::string item = y(items[i]) + (i + 1 < items.size() ? "," : "");
    if (i > 0) {
      if (col + 1 + item.size() > 98) {
        out += "\n" + std::string(indent, ' ');
        col = indent;
      } else {
        out += " ";
        ++col;
      }
    }
    out += item;
    col += item.size();
  }
  return out + "]";
}

}  // namespace

std::string to_json(const Spec& spec) {
  return spec_json(spec).dump(2) + "\n";
}

std::string default_spec_json() {
  return to_json(default_spec());
}

std::string default_spec_yaml() {
  const Spec s = default_spec();
  std::ostringstream o;
  o << "# vsrv server spec: an OCI runtime config in YAML. Every OCI config.json field\n"
       "# works here; unknown fields are ignored with a warning. Sizes may be written\n"
       "# as 256Mi, 1G, 512k; `cpus: 0.5` means half a CPU.\n"
    << "ociVersion: " << y(s.oci_version) << "\n\n";

  o << "# What OCI has no field for: the template the root filesystem comes from,\n"
       "# the network (none = loopback only, host, bridge or routed with an address\n"
       "# or auto, ns with a path), start at boot, restart policy (no, on-reboot,\n"
       "# always), idmap: auto for a private uid/gid range, the stop signal, the\n"
       "# size of the server's own disk, and nameservers for its resolv.conf.\n"
    << "vsrv:\n"
    << "  template: " << y(s.vsrv.template_name) << "\n"
    << "  network: " << y(s.vsrv.network.mode) << "\n"
    << "  # network: {mode: bridge, address: auto}\n"
    << "  onboot: false\n"
    << "  restart: \"no\"\n"
    << "  # idmap: auto      # a user namespace and 65536 host ids of its own: root here is an\n"
    << "                     # unprivileged uid on the host (needs a template; --idmap-pool)\n"
    << "  # stopSignal: SIGTERM\n"
    << "  # disk: 1Gi\n"
    << "  # dns: [192.0.2.53]\n\n";

  o << "# The root filesystem, relative to the bundle directory or absolute.\n"
    << "root:\n"
    << "  path: " << y(s.root.path) << "\n"
    << "  readonly: " << (s.root.readonly ? "true" : "false") << "\n\n";

  const Process& p = s.process;
  o << "# The process started in the server, and what it may do.\n"
    << "process:\n"
    << "  terminal: " << (p.terminal ? "true" : "false") << "\n"
    << "  args: " << flow(p.args, 8, 4) << "\n"
    << "  env:\n";
  for (const std::string& e : p.env) o << "    - " << y(e) << "\n";
  o << "  cwd: " << y(p.cwd) << "\n"
    << "  user: {uid: " << p.user.uid << ", gid: " << p.user.gid << "}\n"
    << "  # setrlimit() limits.\n"
    << "  rlimits:\n";
  for (const isolation::Rlimit& r : p.rlimits) {
    o << "    - {type: " << y(r.type) << ", soft: " << r.soft << ", hard: " << r.hard << "}\n";
  }
  o << "  # Capabilities kept in each set; every other one is dropped.\n"
    << "  capabilities:\n";
  const isolation::Capabilities& c = *p.capabilities;
  const std::pair<const char*, const std::vector<std::string>*> sets[] = {
      {"bounding", &c.bounding},
      {"effective", &c.effective},
      {"permitted", &c.permitted},
      {"inheritable", &c.inheritable},
      {"ambient", &c.ambient}};
  for (const auto& [name, caps] : sets) {
    const std::string key = std::string("    ") + name + ": ";
    o << key << flow(*caps, key.size(), 6) << "\n";
  }
  o << "  # No privileges gained by execve (setuid binaries, file capabilities).\n"
    << "  noNewPrivileges: " << (p.no_new_privileges ? "true" : "false") << "\n\n";

  o << "# The server's hostname; by default its id.\n"
    << (s.hostname.empty() ? "# hostname: web1\n\n" : "hostname: " + y(s.hostname) + "\n\n");

  o << "# Filesystems mounted inside the server, in this order.\n"
    << "mounts:\n";
  for (const rootfs::Mount& m : s.mounts) {
    o << "  - {destination: " << y(m.destination) << ", type: " << y(m.type)
      << ", source: " << y(m.source) << ",\n"
      << "     options: " << flow(m.options, 14, 8) << "}\n";
  }
  o << "\n";

  const Linux& l = s.linux;
  o << "linux:\n"
    << "  # Each namespace listed is new; add path: /proc/PID/ns/TYPE to join one.\n"
    << "  # A user namespace needs uidMappings and gidMappings (or vsrv idmap: auto).\n"
    << "  namespaces:\n";
  for (const isolation::Namespace& ns : l.namespaces) {
    o << "    - type: " << isolation::ns_name(ns.type) << "\n";
  }
  o << "  # Resource limits (cgroups), for example:\n"
    << "  # resources: {memory: {limit: 256Mi}, cpu: {cpus: 0.5}, pids: {limit: 128}}\n"
    << "  # The server may open only the standard devices (null, zero, full, random,\n"
    << "  # urandom, tty, ptmx, pts) and linux.devices; allow more, e.g. /dev/net/tun:\n"
    << "  # resources: {devices: [{allow: true, type: c, major: 10, minor: 200, access: rw}]}\n"
    << "  # Paths hidden from the server.\n"
    << "  maskedPaths:\n";
  for (const std::string& m : l.masked_paths) o << "    - " << y(m) << "\n";
  o << "  # Paths the server may read but not write.\n"
    << "  readonlyPaths:\n";
  for (const std::string& r : l.readonly_paths) o << "    - " << y(r) << "\n";
  const isolation::Seccomp& sc = *l.seccomp;
  o << "  # The seccomp filter: a syscall no rule allows gets the default action.\n"
    << "  seccomp:\n"
    << "    defaultAction: " << y(sc.default_action) << "\n";
  if (sc.default_errno_ret) o << "    defaultErrnoRet: " << *sc.default_errno_ret << "\n";
  if (!sc.architectures.empty()) {
    o << "    architectures: " << flow(sc.architectures, 19, 6) << "\n";
  }
  if (!sc.flags.empty()) o << "    flags: " << flow(sc.flags, 11, 6) << "\n";
  o << "    syscalls:\n";
  for (const isolation::SeccompRule& r : sc.syscalls) {
    o << "      - names: " << flow(r.names, 15, 10) << "\n"
      << "        action: " << y(r.action) << "\n";
    if (r.errno_ret) o << "        errnoRet: " << *r.errno_ret << "\n";
    if (!r.args.empty()) {
      o << "        args:\n";
      for (const isolation::SeccompArg& a : r.args) {
        o << "          - {index: " << a.index << ", value: " << a.value
          << ", valueTwo: " << a.value_two << ", op: " << y(a.op) << "}\n";
      }
    }
  }
  return o.str();
}

}  // namespace vsrv::spec
