// The linux: section of a spec: namespaces, id mappings, cgroup resources,
// paths, sysctl and seccomp.
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "spec_parser_reader.hpp"

namespace vsrv::spec::detail {
namespace {

constexpr uint64_t kDefaultCpuPeriod = 100000;  // microseconds, as the kernel's default

Field required(Ctx& ctx, Obj& obj, const Field& parent, const std::string& key) {
  auto f = obj.get(key);
  if (!f) ctx.fail(parent.line, join_path(parent.path, key), "required");
  return *f;
}

void parse_namespaces(Ctx& ctx, const Field& field, std::vector<isolation::Namespace>& out) {
  out.clear();
  for (const Field& n : list(ctx, field, "must be a list of namespaces")) {
    Obj o(ctx, n);
    const Field type_field = required(ctx, o, n, "type");
    const std::string type = str(ctx, type_field);
    auto ns = isolation::ns_type_from_name(type);
    if (!ns) {
      ctx.fail(type_field.line, type_field.path, "unknown namespace type \"" + type + "\"");
    }
    isolation::Namespace entry{*ns, ""};
    if (auto f = o.get("path")) entry.path = str(ctx, *f);
    o.finish();
    out.push_back(entry);
  }
}

void parse_mappings(Ctx& ctx, const Field& field, std::vector<isolation::IdMap>& out) {
  out.clear();
  for (const Field& m : list(ctx, field, "must be a list of {containerID, hostID, size}")) {
    Obj o(ctx, m);
    isolation::IdMap map;
    map.container_id = uint32(ctx, required(ctx, o, m, "containerID"));
    map.host_id = uint32(ctx, required(ctx, o, m, "hostID"));
    map.size = uint32(ctx, required(ctx, o, m, "size"));
    o.finish();
    out.push_back(map);
  }
}

void parse_memory(Ctx& ctx, const Field& field, cgroups::MemoryResources& mem) {
  Obj o(ctx, field);
  if (auto f = o.get("limit")) mem.limit = size(ctx, *f);
  if (auto f = o.get("reservation")) mem.reservation = size(ctx, *f);
  if (auto f = o.get("swap")) mem.swap = size(ctx, *f);
  if (auto f = o.get("disableOOMKiller")) mem.disable_oom_killer = boolean(ctx, *f);
  if (auto f = o.get("swappiness")) mem.swappiness = uint64(ctx, *f);
  for (const char* key : {"kernel", "kernelTCP", "useHierarchy", "checkBeforeUpdate"}) {
    o.unsupported(key);
  }
  o.finish();
}

// A plain (unquoted) number like 0.5 or 2.
bool is_cpu_count(const YAML::Node& node) {
  if (!node.IsScalar() || !is_plain(node)) return false;
  const std::string& s = node.Scalar();
  size_t i = 0, digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  }
  return digits > 0 && i == s.size();
}

void parse_cpu(Ctx& ctx, const Field& field, cgroups::CpuResources& cpu) {
  Obj o(ctx, field);
  if (auto f = o.get("shares")) cpu.shares = uint64(ctx, *f);
  const auto quota_field = o.get("quota");
  if (quota_field) cpu.quota = int64(ctx, *quota_field, INT64_MIN, INT64_MAX);
  if (auto f = o.get("period")) cpu.period = uint64(ctx, *f);
  if (auto f = o.get("burst")) cpu.burst = uint64(ctx, *f);
  if (auto f = o.get("mems")) cpu.mems = str(ctx, *f);
  if (auto f = o.get("idle")) {
    // OCI has an integer (0 or 1); true/false reads better in YAML.
    if (is_plain(f->node) && (f->node.Scalar() == "0" || f->node.Scalar() == "1")) {
      cpu.idle = f->node.Scalar() == "1";
    } else {
      cpu.idle = boolean(ctx, *f);
    }
  }
  if (auto f = o.get("cpus")) {
    // In OCI cpus is a cpuset string ("0-1"). A plain YAML number is a CPU
    // count instead (cpus: 0.5), turned into a quota over the period.
    if (is_cpu_count(f->node)) {
      const double count = std::strtod(f->node.Scalar().c_str(), nullptr);
      if (quota_field) ctx.fail(f->line, f->path, "a CPU count cannot be combined with cpu.quota");
      if (count <= 0) {
        ctx.fail(
            f->line, f->path,
            "a CPU count must be greater than 0 (quote a cpuset: \"" + f->node.Scalar() + "\")");
      }
      const uint64_t period = cpu.period.value_or(kDefaultCpuPeriod);
      const double quota = std::round(count * static_cast<double>(period));
      if (quota > static_cast<double>(INT64_MAX / 2))
        ctx.fail(f->line, f->path, "CPU count too large");
      cpu.period = period;
      cpu.quota = static_cast<int64_t>(quota);
    } else {
      cpu.cpus = str(ctx, *f);
    }
  }
  o.unsupported("realtimeRuntime");
  o.unsupported("realtimePeriod");
  o.finish();
}

void parse_resources(Ctx& ctx, const Field& field, cgroups::Resources& res) {
  Obj o(ctx, field);
  if (auto f = o.get("memory")) parse_memory(ctx, *f, res.memory);
  if (auto f = o.get("cpu")) parse_cpu(ctx, *f, res.cpu);
  if (auto f = o.get("pids")) {
    Obj p(ctx, *f);
    if (auto l = p.get("limit")) res.pids.limit = int64(ctx, *l, INT64_MIN, INT64_MAX);
    p.finish();
  }
  if (auto f = o.get("unified")) res.unified = str_map(ctx, *f);
  if (auto f = o.get("devices")) {
    res.devices.emplace();
    parse_device_rules(ctx, *f, *res.devices);
  }
  if (auto f = o.get("blockIO")) parse_block_io(ctx, *f, res.block_io);
  if (auto f = o.get("hugepageLimits")) parse_hugepages(ctx, *f, res.hugepage_limits);
  if (auto f = o.get("network")) parse_network(ctx, *f, res.network);
  if (auto f = o.get("rdma")) parse_rdma(ctx, *f, res.rdma);
  o.finish();
}

void parse_seccomp(Ctx& ctx, const Field& field, isolation::Seccomp& sc) {
  Obj o(ctx, field);
  sc.default_action = str(ctx, required(ctx, o, field, "defaultAction"));
  if (auto f = o.get("defaultErrnoRet")) sc.default_errno_ret = uint32(ctx, *f);
  if (auto f = o.get("architectures")) sc.architectures = str_list(ctx, *f);
  if (auto f = o.get("flags")) sc.flags = str_list(ctx, *f);
  if (auto f = o.get("syscalls")) {
    for (const Field& s : list(ctx, *f, "must be a list of syscall rules")) {
      Obj so(ctx, s);
      isolation::SeccompRule rule;
      rule.names = str_list(ctx, required(ctx, so, s, "names"));
      rule.action = str(ctx, required(ctx, so, s, "action"));
      if (auto e = so.get("errnoRet")) rule.errno_ret = uint32(ctx, *e);
      if (auto a = so.get("args")) {
        for (const Field& arg : list(ctx, *a, "must be a list of {index, value, op}")) {
          Obj ao(ctx, arg);
          isolation::SeccompArg sa;
          sa.index = uint32(ctx, required(ctx, ao, arg, "index"));
          sa.value = uint64(ctx, required(ctx, ao, arg, "value"));
          if (auto v = ao.get("valueTwo")) sa.value_two = uint64(ctx, *v);
          sa.op = str(ctx, required(ctx, ao, arg, "op"));
          ao.finish();
          rule.args.push_back(sa);
        }
      }
      so.finish();
      sc.syscalls.push_back(rule);
    }
  }
  o.unsupported("listenerPath");
  o.unsupported("listenerMetadata");
  o.finish();
}

void parse_devices(Ctx& ctx, const Field& field, std::vector<rootfs::Device>& out) {
  out.clear();
  for (const Field& d : list(ctx, field, "must be a list of {path, type, major, minor}")) {
    Obj o(ctx, d);
    rootfs::Device dev;
    dev.path = str(ctx, required(ctx, o, d, "path"));
    const Field type = required(ctx, o, d, "type");
    const std::string t = str(ctx, type);
    if (t != "c" && t != "u" && t != "b" && t != "p") {
      ctx.fail(type.line, type.path, "unknown device type \"" + t + "\" (use c, u, b or p)");
    }
    dev.type = t[0];
    auto major = o.get("major");
    auto minor = o.get("minor");
    if (dev.type != 'p' && (!major || !minor)) {
      ctx.fail(d.line, join_path(d.path, major ? "minor" : "major"),
               "required for a type " + t + " device");
    }
    // Linux device numbers: 12-bit major, 20-bit minor.
    if (major) dev.major = int64(ctx, *major, 0, 4095);
    if (minor) dev.minor = int64(ctx, *minor, 0, 1048575);
    if (auto f = o.get("fileMode")) dev.file_mode = file_mode(ctx, *f);
    if (auto f = o.get("uid")) dev.uid = uint32(ctx, *f);
    if (auto f = o.get("gid")) dev.gid = uint32(ctx, *f);
    o.finish();
    out.push_back(dev);
  }
}

}  // namespace

void parse_linux(Ctx& ctx, const Field& field, Linux& out) {
  Obj o(ctx, field);
  if (auto f = o.get("namespaces")) parse_namespaces(ctx, *f, out.namespaces);
  if (auto f = o.get("uidMappings")) parse_mappings(ctx, *f, out.uid_mappings);
  if (auto f = o.get("gidMappings")) parse_mappings(ctx, *f, out.gid_mappings);
  if (auto f = o.get("cgroupsPath")) out.cgroups_path = str(ctx, *f);
  if (auto f = o.get("resources")) parse_resources(ctx, *f, out.resources);
  if (auto f = o.get("maskedPaths")) out.masked_paths = str_list(ctx, *f);
  if (auto f = o.get("readonlyPaths")) out.readonly_paths = str_list(ctx, *f);
  if (auto f = o.get("rootfsPropagation")) out.rootfs_propagation = str(ctx, *f);
  if (auto f = o.get("sysctl")) out.sysctl = str_map(ctx, *f);
  if (auto f = o.get("seccomp")) {
    isolation::Seccomp sc;
    parse_seccomp(ctx, *f, sc);
    out.seccomp = sc;
  }
  if (auto f = o.get("devices")) parse_devices(ctx, *f, out.devices);
  for (const char* key :
       {"intelRdt", "mountLabel", "personality", "timeOffsets", "memoryPolicy", "netDevices"}) {
    o.unsupported(key);
  }
  o.finish();
}

void parse_linux_resources(Ctx& ctx, const Field& field, cgroups::Resources& out) {
  parse_resources(ctx, field, out);
}

}  // namespace vsrv::spec::detail
