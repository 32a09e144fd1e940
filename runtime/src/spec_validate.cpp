// Checks of a whole spec, run after parsing and before any side effect.
// Each failure is one line naming the field path (and its line when the spec
// was parsed from text).
#include <arpa/inet.h>
#include <signal.h>

#include <cctype>
#include <set>
#include <string>

#include "spec_parser_reader.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/isolation/process.hpp"
#include "vsrv/isolation/sysctl.hpp"
#include "vsrv/rootfs/mount_tree.hpp"
#include "vsrv/rootfs/safe_path.hpp"
#include "vsrv/runtime/spec_parser.hpp"

namespace vsrv::spec {
namespace detail {
namespace {

using isolation::NsType;

std::string quote(const std::string& s) {
  return "\"" + s + "\"";
}

bool absolute(const std::string& p) {
  return !p.empty() && p[0] == '/';
}

// True when a ".." component walks above the starting directory.
bool climbs_out(const std::string& path) {
  int depth = 0;
  for (const std::string& part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (depth == 0) return true;
      --depth;
    } else {
      ++depth;
    }
  }
  return false;
}

// "/", "//", "/." ... : no component left.
bool is_root(const std::string& path) {
  for (const std::string& part : split(path, '/')) {
    if (!part.empty() && part != ".") return false;
  }
  return true;
}

bool valid_hostname(const std::string& name) {
  if (name.size() > 64) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return false;
  }
  return true;
}

// "0-3,5,7-8"
bool valid_cpuset(const std::string& set) {
  if (set.empty()) return false;
  for (const std::string& range : split(set, ',')) {
    const size_t dash = range.find('-');
    const std::string lo = range.substr(0, dash);
    const std::string hi = dash == std::string::npos ? lo : range.substr(dash + 1);
    auto number = [](const std::string& s) {
      if (s.empty() || s.size() > 6) return false;
      for (char c : s) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
      }
      return true;
    };
    if (!number(lo) || !number(hi) || std::stoul(lo) > std::stoul(hi)) return false;
  }
  return true;
}

bool valid_cidr(const std::string& cidr) {
  const size_t slash = cidr.find('/');
  if (slash == std::string::npos) return false;
  const std::string addr = cidr.substr(0, slash), prefix = cidr.substr(slash + 1);
  unsigned char buf[16];
  int max_prefix = 0;
  if (inet_pton(AF_INET, addr.c_str(), buf) == 1) {
    max_prefix = 32;
  } else if (inet_pton(AF_INET6, addr.c_str(), buf) == 1) {
    max_prefix = 128;
  } else {
    return false;
  }
  if (prefix.empty() || prefix.size() > 3) return false;
  for (char c : prefix) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return std::stoi(prefix) <= max_prefix;
}

bool seccomp_flag_known(const std::string& flag) {
  static const std::set<std::string> kFlags = {
      "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
      "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  return kFlags.count(flag) > 0;
}

class Validator {
 public:
  Validator(const Spec& spec, const std::string& source, const LineMap* lines,
            bool process_required)
      : s_(spec), source_(source), lines_(lines), process_required_(process_required) {}

  void run() {
    top();
    process();
    mounts();
    hooks();
    namespaces();
    mappings();
    linux_paths();
    devices();
    resources();
    seccomp();
    vsrv();
  }

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    const int line = lines_ ? find_line(*lines_, path) : 0;
    throw Error(ErrorKind::kUsage, format_message(source_, line, path, what));
  }

  void top() {
    if (s_.oci_version.empty()) fail("ociVersion", "must not be empty");
    if (s_.root.path.empty()) fail("root.path", "must not be empty");
    if (!absolute(s_.root.path) && climbs_out(s_.root.path)) {
      fail("root.path", "must stay inside the bundle (a \"..\" climbs out of it)");
    }
    if (!s_.hostname.empty()) {
      if (!valid_hostname(s_.hostname)) {
        fail("hostname", "invalid hostname " + quote(s_.hostname) +
                             " (at most 64 letters, digits, dots and dashes)");
      }
      if (!s_.has_namespace(NsType::kUts)) {
        fail("hostname", "needs a uts namespace in linux.namespaces");
      }
    }
    for (const auto& [key, value] : s_.annotations) {
      if (key.empty()) fail("annotations", "keys must not be empty");
    }
  }

  void process() {
    const Process& p = s_.process;
    if (process_required_ && lines_ && !lines_->count("process")) fail("process", "required");
    if (p.args.empty()) fail("process.args", "must be a non-empty list of strings");
    if (p.args[0].empty()) fail("process.args[0]", "must not be empty");
    if (!absolute(p.cwd)) fail("process.cwd", "must be an absolute path, got " + quote(p.cwd));
    for (size_t i = 0; i < p.env.size(); ++i) {
      const size_t eq = p.env[i].find('=');
      if (eq == std::string::npos || eq == 0) {
        fail(index_path("process.env", i), "must be KEY=VALUE, got " + quote(p.env[i]));
      }
    }
    if (p.user.umask && *p.user.umask > 0777) fail("process.user.umask", "must be at most 0777");
    std::set<std::string> seen;
    for (size_t i = 0; i < p.rlimits.size(); ++i) {
      const isolation::Rlimit& rl = p.rlimits[i];
      const std::string path = index_path("process.rlimits", i);
      if (!isolation::rlimit_from_name(rl.type)) {
        fail(path + ".type", "unknown rlimit " + quote(rl.type));
      }
      if (!seen.insert(rl.type).second) fail(path + ".type", "duplicate rlimit " + quote(rl.type));
      if (rl.soft > rl.hard) {
        fail(path, "soft limit " + std::to_string(rl.soft) + " is above hard limit " +
                       std::to_string(rl.hard));
      }
    }
    if (p.capabilities) {
      const isolation::Capabilities& c = *p.capabilities;
      const std::pair<const char*, const std::vector<std::string>*> sets[] = {
          {"bounding", &c.bounding},
          {"effective", &c.effective},
          {"permitted", &c.permitted},
          {"inheritable", &c.inheritable},
          {"ambient", &c.ambient}};
      for (const auto& [name, caps] : sets) {
        for (size_t i = 0; i < caps->size(); ++i) {
          if (!isolation::capability_known((*caps)[i])) {
            fail(index_path(std::string("process.capabilities.") + name, i),
                 "unknown capability " + quote((*caps)[i]));
          }
        }
      }
    }
    if (p.oom_score_adj && (*p.oom_score_adj < -1000 || *p.oom_score_adj > 1000)) {
      fail("process.oomScoreAdj", "must be an integer from -1000 to 1000");
    }
  }

  void mounts() {
    for (size_t i = 0; i < s_.mounts.size(); ++i) {
      const rootfs::Mount& m = s_.mounts[i];
      const std::string path = index_path("mounts", i);
      if (!absolute(m.destination)) {
        fail(path + ".destination", "must be an absolute path, got " + quote(m.destination));
      }
      if (is_root(m.destination)) fail(path + ".destination", "must not be \"/\"");
      if (climbs_out(m.destination)) {
        fail(path + ".destination", "must stay inside the root (a \"..\" climbs out of it)");
      }
      bool bind = m.type == "bind";
      for (size_t j = 0; j < m.options.size(); ++j) {
        const std::string& opt = m.options[j];
        if (opt == "bind" || opt == "rbind") bind = true;
        if (!rootfs::mount_option_known(opt)) {
          fail(index_path(path + ".options", j), "unknown mount option " + quote(opt));
        }
      }
      if (bind && m.source.empty()) fail(path + ".source", "required for a bind mount");
      if (!bind && m.type.empty()) fail(path + ".type", "required (or a bind or rbind option)");
    }
  }

  void hooks() {
    const std::pair<const char*, const std::vector<Hook>*> lists[] = {
        {"prestart", &s_.hooks.prestart},
        {"createRuntime", &s_.hooks.create_runtime},
        {"createContainer", &s_.hooks.create_container},
        {"startContainer", &s_.hooks.start_container},
        {"poststart", &s_.hooks.poststart},
        {"poststop", &s_.hooks.poststop}};
    for (const auto& [name, hooks] : lists) {
      for (size_t i = 0; i < hooks->size(); ++i) {
        const Hook& h = (*hooks)[i];
        const std::string path = index_path(std::string("hooks.") + name, i);
        if (!absolute(h.path))
          fail(path + ".path", "must be an absolute path, got " + quote(h.path));
        if (h.timeout && *h.timeout <= 0) fail(path + ".timeout", "must be greater than zero");
      }
    }
  }

  void namespaces() {
    std::set<NsType> seen;
    for (size_t i = 0; i < s_.linux.namespaces.size(); ++i) {
      const isolation::Namespace& ns = s_.linux.namespaces[i];
      const std::string path = index_path("linux.namespaces", i);
      if (!seen.insert(ns.type).second) {
        fail(path + ".type",
             "duplicate namespace " + quote(std::string(isolation::ns_name(ns.type))));
      }
      if (!ns.path.empty() && !absolute(ns.path)) {
        fail(path + ".path", "must be an absolute path, got " + quote(ns.path));
      }
    }
  }

  void mappings() {
    const Linux& l = s_.linux;
    const bool has_maps = !l.uid_mappings.empty() || !l.gid_mappings.empty();
    const isolation::Namespace* user = nullptr;
    size_t user_index = 0;
    for (size_t i = 0; i < l.namespaces.size(); ++i) {
      if (l.namespaces[i].type == NsType::kUser) user = &l.namespaces[i], user_index = i;
    }
    if (has_maps && !user) {
      fail(l.uid_mappings.empty() ? "linux.gidMappings" : "linux.uidMappings",
           "needs a user namespace in linux.namespaces");
    }
    if (has_maps && s_.vsrv.idmap_auto) {
      fail("vsrv.idmap", "auto cannot be combined with linux.uidMappings or linux.gidMappings");
    }
    if (s_.vsrv.idmap_auto && user && !user->path.empty()) {
      fail(index_path("linux.namespaces", user_index) + ".path",
           "a user namespace joined by path cannot be combined with vsrv.idmap: auto");
    }
    if (s_.vsrv.idmap_auto) {
      bool own_mount = false;
      for (const auto& ns : l.namespaces)
        own_mount = own_mount || (ns.type == NsType::kMount && ns.path.empty());
      if (!own_mount) {
        fail("vsrv.idmap", "auto needs a mount namespace of the server's own (linux.namespaces)");
      }
    }
    // A new user namespace needs both maps; a joined one (path) has its own.
    if (user && user->path.empty() && !s_.vsrv.idmap_auto &&
        (l.uid_mappings.empty() || l.gid_mappings.empty())) {
      fail(index_path("linux.namespaces", user_index) + ".type",
           "a user namespace needs linux.uidMappings and linux.gidMappings (or vsrv.idmap: auto)");
    }
    const std::pair<const char*, const std::vector<isolation::IdMap>*> lists[] = {
        {"linux.uidMappings", &l.uid_mappings}, {"linux.gidMappings", &l.gid_mappings}};
    for (const auto& [name, maps] : lists) {
      for (size_t i = 0; i < maps->size(); ++i) {
        const isolation::IdMap& m = (*maps)[i];
        const std::string path = index_path(name, i);
        if (m.size == 0) fail(path + ".size", "must be greater than zero");
        if (uint64_t{m.container_id} + m.size > (1ULL << 32) ||
            uint64_t{m.host_id} + m.size > (1ULL << 32)) {
          fail(path, "id range goes past 4294967295");
        }
      }
    }
  }

  void linux_paths() {
    const Linux& l = s_.linux;
    for (size_t i = 0; i < l.masked_paths.size(); ++i) {
      if (!absolute(l.masked_paths[i])) {
        fail(index_path("linux.maskedPaths", i),
             "must be an absolute path, got " + quote(l.masked_paths[i]));
      }
    }
    for (size_t i = 0; i < l.readonly_paths.size(); ++i) {
      if (!absolute(l.readonly_paths[i])) {
        fail(index_path("linux.readonlyPaths", i),
             "must be an absolute path, got " + quote(l.readonly_paths[i]));
      }
    }
    // systemd-style paths ("slice:prefix:name") are split on ':' too.
    for (const std::string& part : split(l.cgroups_path, '/')) {
      for (const std::string& piece : split(part, ':')) {
        if (piece == "..") fail("linux.cgroupsPath", "must not contain \"..\"");
      }
    }
    static const std::set<std::string> kPropagation = {
        "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"};
    if (!l.rootfs_propagation.empty() && !kPropagation.count(l.rootfs_propagation)) {
      fail("linux.rootfsPropagation",
           "unknown propagation " + quote(l.rootfs_propagation) +
               " (use private, rprivate, slave, rslave, shared, rshared, unbindable or "
               "runbindable)");
    }
    sysctls();
  }

  // Only keys of a namespace the server has: others would change the host.
  void sysctls() {
    for (const auto& [key, value] : s_.linux.sysctl) {
      if (key.empty()) fail("linux.sysctl", "keys must not be empty");
      const std::string path = "linux.sysctl." + key;
      if (isolation::sysctl_components(key).empty()) {
        fail(path, "malformed sysctl name (use a dotted name like net.ipv4.ip_forward)");
      }
      const auto ns = isolation::sysctl_namespace(key);
      if (!ns) {
        fail(path,
             "not a namespaced sysctl: it would change the host (allowed: kernel.shm*, "
             "kernel.msg*, kernel.sem, fs.mqueue.*, kernel.hostname, kernel.domainname, net.*)");
      }
      if (!s_.has_namespace(*ns)) {
        fail(path, "needs a" + std::string(*ns == NsType::kIpc ? "n " : " ") +
                       std::string(isolation::ns_name(*ns)) + " namespace in linux.namespaces");
      }
    }
  }

  // Nodes only below /dev, each path once.
  void devices() {
    std::set<std::string> seen;
    for (size_t i = 0; i < s_.linux.devices.size(); ++i) {
      const rootfs::Device& d = s_.linux.devices[i];
      const std::string path = index_path("linux.devices", i);
      const std::string clean = rootfs::clean_path(d.path);
      if (!absolute(d.path) || climbs_out(d.path) || clean.rfind("dev/", 0) != 0) {
        fail(path + ".path", "must be an absolute path below /dev, got " + quote(d.path));
      }
      if (!seen.insert(clean).second) fail(path + ".path", "duplicate device " + quote(d.path));
    }
  }

  void resources() {
    const cgroups::Resources& r = s_.linux.resources;
    const std::string mem = "linux.resources.memory.";
    if (r.memory.limit && *r.memory.limit != -1 && *r.memory.limit < 4096) {
      fail(mem + "limit", "must be -1 (unlimited) or at least 4096 bytes");
    }
    if (r.memory.reservation && *r.memory.reservation < -1) {
      fail(mem + "reservation", "must be -1 (unlimited) or a size");
    }
    if (r.memory.swap && *r.memory.swap < -1)
      fail(mem + "swap", "must be -1 (unlimited) or a size");
    if (r.memory.swap && *r.memory.swap > 0 && r.memory.limit && *r.memory.limit > 0 &&
        *r.memory.swap < *r.memory.limit) {
      fail(mem + "swap", "must be at least memory.limit (OCI swap counts memory plus swap)");
    }
    if (r.memory.swappiness && *r.memory.swappiness > 100) {
      fail(mem + "swappiness", "must be from 0 to 100");
    }
    const std::string cpu = "linux.resources.cpu.";
    if (r.cpu.shares && (*r.cpu.shares < 2 || *r.cpu.shares > 262144)) {
      fail(cpu + "shares", "must be from 2 to 262144");
    }
    if (r.cpu.quota && *r.cpu.quota != -1 && *r.cpu.quota < 1000) {
      // A quota computed from "cpus: N" is reported on cpus.
      const bool from_count =
          lines_ && !lines_->count(cpu + "quota") && lines_->count(cpu + "cpus");
      fail(from_count ? cpu + "cpus" : cpu + "quota",
           "must be -1 (unlimited) or at least 1000 microseconds of quota");
    }
    if (r.cpu.period && (*r.cpu.period < 1000 || *r.cpu.period > 1000000)) {
      fail(cpu + "period", "must be from 1000 to 1000000 microseconds");
    }
    if (r.cpu.cpus && !valid_cpuset(*r.cpu.cpus)) {
      fail(cpu + "cpus", "invalid cpuset " + quote(*r.cpu.cpus) + " (use a list like 0-3,5)");
    }
    if (r.cpu.mems && !valid_cpuset(*r.cpu.mems)) {
      fail(cpu + "mems",
           "invalid memory node set " + quote(*r.cpu.mems) + " (use a list like 0-1)");
    }
    if (r.pids.limit && *r.pids.limit < -1) {
      fail("linux.resources.pids.limit", "must be -1 (unlimited) or a non-negative number");
    }
    for (const auto& [key, value] : r.unified) {
      if (key.empty() || key.find('/') != std::string::npos ||
          key.find("..") != std::string::npos) {
        fail("linux.resources.unified", "invalid cgroup file name " + quote(key));
      }
    }
    device_rules();
    block_io();
  }

  // The server's rules as the device cgroup would take them, one by one.
  void device_rules() {
    const auto& rules = s_.linux.resources.devices;
    if (!rules) return;
    const auto base = server_device_rules(s_.linux.devices, std::nullopt);
    cgroups::DeviceState state = cgroups::device_state(base);
    for (size_t i = 0; i < rules->size(); ++i) {
      try {
        if (is_deny_all((*rules)[i]))
          state = cgroups::device_state(base);
        else
          state.apply((*rules)[i]);
      } catch (const Error& e) {
        fail(index_path("linux.resources.devices", i), e.what());
      }
    }
  }

  void block_io() {
    const cgroups::BlockIoResources& b = s_.linux.resources.block_io;
    const std::string io = "linux.resources.blockIO.";
    auto weight = [&](const std::optional<uint16_t>& w, const std::string& path) {
      if (w && *w != 0 && (*w < 10 || *w > 1000)) fail(path, "must be from 10 to 1000");
    };
    weight(b.weight, io + "weight");
    weight(b.leaf_weight, io + "leafWeight");
    for (size_t i = 0; i < b.weight_devices.size(); ++i) {
      const std::string path = index_path(io + "weightDevice", i);
      weight(b.weight_devices[i].weight, path + ".weight");
      weight(b.weight_devices[i].leaf_weight, path + ".leafWeight");
    }
  }

  void seccomp() {
    if (!s_.linux.seccomp) return;
    const isolation::Seccomp& sc = *s_.linux.seccomp;
    const std::string base = "linux.seccomp";
    if (!isolation::seccomp_action_known(sc.default_action)) {
      fail(base + ".defaultAction", "unknown seccomp action " + quote(sc.default_action));
    }
    for (size_t i = 0; i < sc.architectures.size(); ++i) {
      if (!isolation::seccomp_arch_known(sc.architectures[i])) {
        fail(index_path(base + ".architectures", i),
             "unknown seccomp architecture " + quote(sc.architectures[i]));
      }
    }
    for (size_t i = 0; i < sc.flags.size(); ++i) {
      if (!seccomp_flag_known(sc.flags[i])) {
        fail(index_path(base + ".flags", i), "unknown seccomp flag " + quote(sc.flags[i]));
      }
    }
    for (size_t i = 0; i < sc.syscalls.size(); ++i) {
      const isolation::SeccompRule& rule = sc.syscalls[i];
      const std::string path = index_path(base + ".syscalls", i);
      if (rule.names.empty()) fail(path + ".names", "must be a non-empty list of strings");
      for (size_t j = 0; j < rule.names.size(); ++j) {
        if (rule.names[j].empty()) fail(index_path(path + ".names", j), "must not be empty");
      }
      if (!isolation::seccomp_action_known(rule.action)) {
        fail(path + ".action", "unknown seccomp action " + quote(rule.action));
      }
      for (size_t j = 0; j < rule.args.size(); ++j) {
        const isolation::SeccompArg& arg = rule.args[j];
        const std::string apath = index_path(path + ".args", j);
        if (arg.index > 5) fail(apath + ".index", "must be from 0 to 5");
        if (!isolation::seccomp_op_known(arg.op)) {
          fail(apath + ".op", "unknown seccomp operator " + quote(arg.op));
        }
      }
    }
  }

  void vsrv() {
    const VsrvSection& v = s_.vsrv;
    const Network& net = v.network;
    static const std::set<std::string> kModes = {"none", "host", "bridge", "routed", "ns"};
    if (!kModes.count(net.mode)) {
      fail("vsrv.network.mode",
           "unknown network mode " + quote(net.mode) + " (use none, host, bridge, routed or ns)");
    }
    const bool routed = net.mode == "bridge" || net.mode == "routed";
    if (!net.address.empty()) {
      if (!routed) fail("vsrv.network.address", "only used with mode bridge or routed");
      if (net.address != "auto" &&
          (!valid_cidr(net.address) || net.address.find(':') != std::string::npos)) {
        fail("vsrv.network.address",
             "must be auto or an IPv4 address with a prefix like 10.0.0.2/24, got " +
                 quote(net.address));
      }
    }
    if (!net.address6.empty()) {
      if (!routed) fail("vsrv.network.address6", "only used with mode bridge or routed");
      if (net.address6 != "auto" &&
          (!valid_cidr(net.address6) || net.address6.find(':') == std::string::npos)) {
        fail("vsrv.network.address6",
             "must be auto or an IPv6 address with a prefix like fd00::2/64, got " +
                 quote(net.address6));
      }
    }
    if (net.mtu != 0 && !routed) fail("vsrv.network.mtu", "only used with mode bridge or routed");
    if (!net.ports.empty() && !routed) {
      fail("vsrv.network.ports", "only used with mode bridge or routed");
    }
    for (size_t i = 0; i < net.ports.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (net.ports[j].proto != net.ports[i].proto) continue;
        if (net.ports[j].host_port != net.ports[i].host_port) continue;
        fail(index_path("vsrv.network.ports", i), "host port " +
                                                      std::to_string(net.ports[i].host_port) + "/" +
                                                      net.ports[i].proto + " is forwarded twice");
      }
    }
    if (net.mode == "ns" && !absolute(net.path)) {
      fail("vsrv.network.path", "mode ns needs the absolute path of a network namespace");
    }
    if (net.mode != "ns" && !net.path.empty()) fail("vsrv.network.path", "only used with mode ns");
    bool new_netns = false;
    for (const isolation::Namespace& ns : s_.linux.namespaces) {
      if (ns.type == NsType::kNetwork && ns.path.empty()) new_netns = true;
    }
    if (routed && !new_netns) {
      fail("vsrv.network.mode", net.mode + " needs a network namespace in linux.namespaces");
    }
    if (net.mode == "host" && new_netns) {
      fail("vsrv.network.mode", "host cannot be used with a network namespace in linux.namespaces");
    }
    if (v.restart != "no" && v.restart != "on-reboot" && v.restart != "always") {
      fail("vsrv.restart",
           "unknown restart policy " + quote(v.restart) + " (use no, on-reboot or always)");
    }
    if (v.stop_signal && (*v.stop_signal < 1 || *v.stop_signal > SIGRTMAX)) {
      fail("vsrv.stopSignal", "unknown signal " + std::to_string(*v.stop_signal));
    }
    constexpr int64_t kMinDisk = 16LL << 20, kMaxDisk = 16LL << 40;
    if (v.disk && (*v.disk < kMinDisk || *v.disk > kMaxDisk)) {
      fail("vsrv.disk", "must be from 16Mi to 16Ti, got " + std::to_string(*v.disk) + " bytes");
    }
    for (size_t i = 0; i < v.dns.size(); ++i) {
      unsigned char buf[16];
      if (inet_pton(AF_INET, v.dns[i].c_str(), buf) != 1 &&
          inet_pton(AF_INET6, v.dns[i].c_str(), buf) != 1) {
        fail("vsrv.dns[" + std::to_string(i) + "]",
             "must be an IP address, got " + quote(v.dns[i]));
      }
    }
  }

  const Spec& s_;
  const std::string& source_;
  const LineMap* lines_;
  bool process_required_;
};

}  // namespace

void validate_with_lines(const Spec& spec, const std::string& source, const LineMap* lines,
                         bool process_required) {
  Validator(spec, source, lines, process_required).run();
}

}  // namespace detail

void validate(const Spec& spec, const std::string& source) {
  detail::validate_with_lines(spec, source, nullptr, false);
}

}  // namespace vsrv::spec
