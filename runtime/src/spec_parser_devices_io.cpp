// linux.resources sections beyond memory, cpu and pids: device cgroup rules,
// blockIO, hugepageLimits, network and rdma.
#include "spec_parser_reader.hpp"

namespace vsrv::spec::detail {
namespace {

Field required(Ctx& ctx, Obj& obj, const Field& parent, const std::string& key) {
  auto f = obj.get(key);
  if (!f) ctx.fail(parent.line, join_path(parent.path, key), "required");
  return *f;
}

// Block devices are named by number.
template <typename T>
void device_numbers(Ctx& ctx, Obj& o, const Field& parent, T& out) {
  out.major = static_cast<uint32_t>(int64(ctx, required(ctx, o, parent, "major"), 0, 4095));
  out.minor = static_cast<uint32_t>(int64(ctx, required(ctx, o, parent, "minor"), 0, 1048575));
}

// throttle*Device: [{major, minor, rate}]; a bps rate may be a size (10Mi).
std::vector<cgroups::ThrottleDevice> parse_throttle(Ctx& ctx, const Field& field, bool bytes) {
  std::vector<cgroups::ThrottleDevice> out;
  for (const Field& t : list(ctx, field, "must be a list of {major, minor, rate}")) {
    Obj o(ctx, t);
    cgroups::ThrottleDevice dev;
    device_numbers(ctx, o, t, dev);
    const Field rate = required(ctx, o, t, "rate");
    if (bytes) {
      const int64_t v = size(ctx, rate);
      if (v < 0) ctx.fail(rate.line, rate.path, "must be 0 (no limit) or bytes per second");
      dev.rate = static_cast<uint64_t>(v);
    } else {
      dev.rate = uint64(ctx, rate);
    }
    o.finish();
    out.push_back(dev);
  }
  return out;
}

}  // namespace

// linux.resources.devices: [{allow, type, major, minor, access}]. YAML may
// write "*" for any major or minor; -1 (Docker's wildcard) is read the same.
void parse_device_rules(Ctx& ctx, const Field& field, std::vector<cgroups::DeviceRule>& out) {
  out.clear();
  for (const Field& d : list(ctx, field, "must be a list of {allow, type, major, minor, access}")) {
    Obj o(ctx, d);
    cgroups::DeviceRule rule;
    rule.allow = boolean(ctx, required(ctx, o, d, "allow"));
    if (auto f = o.get("type")) {
      const std::string t = str(ctx, *f);
      if (t != "a" && t != "b" && t != "c" && !t.empty())
        ctx.fail(f->line, f->path, "unknown device type \"" + t + "\" (use a, b or c)");
      rule.type = t.empty() ? 'a' : t[0];
    }
    auto number = [&](const char* key, int64_t max) -> std::optional<uint32_t> {
      auto f = o.get(key);
      if (!f || (f->node.IsScalar() && f->node.Scalar() == "*")) return std::nullopt;
      const int64_t v = int64(ctx, *f, -1, max);
      if (v == -1) return std::nullopt;
      if (rule.type == 'a') ctx.fail(f->line, f->path, "not allowed with type a (every device)");
      return static_cast<uint32_t>(v);
    };
    // Linux device numbers: 12-bit major, 20-bit minor.
    rule.major = number("major", 4095);
    rule.minor = number("minor", 1048575);
    if (auto f = o.get("access")) {
      const std::string text = str(ctx, *f);
      auto bits = cgroups::parse_access(text);
      if (!bits) ctx.fail(f->line, f->path, "invalid access \"" + text + "\" (use r, w and m)");
      if (rule.type == 'a' && *bits != cgroups::kDevAll)
        ctx.fail(f->line, f->path,
                 "type a (every device) takes access rwm: the device cgroup resets every rule "
                 "for it");
      rule.access = *bits;
    }
    o.finish();
    out.push_back(rule);
  }
}

void parse_block_io(Ctx& ctx, const Field& field, cgroups::BlockIoResources& b) {
  Obj o(ctx, field);
  if (auto f = o.get("weight")) b.weight = static_cast<uint16_t>(uint64(ctx, *f, UINT16_MAX));
  if (auto f = o.get("leafWeight"))
    b.leaf_weight = static_cast<uint16_t>(uint64(ctx, *f, UINT16_MAX));
  if (auto f = o.get("weightDevice")) {
    b.weight_devices.clear();
    for (const Field& w : list(ctx, *f, "must be a list of {major, minor, weight, leafWeight}")) {
      Obj wo(ctx, w);
      cgroups::WeightDevice dev;
      device_numbers(ctx, wo, w, dev);
      if (auto v = wo.get("weight"))
        dev.weight = static_cast<uint16_t>(uint64(ctx, *v, UINT16_MAX));
      if (auto v = wo.get("leafWeight"))
        dev.leaf_weight = static_cast<uint16_t>(uint64(ctx, *v, UINT16_MAX));
      wo.finish();
      b.weight_devices.push_back(dev);
    }
  }
  if (auto f = o.get("throttleReadBpsDevice")) b.read_bps = parse_throttle(ctx, *f, true);
  if (auto f = o.get("throttleWriteBpsDevice")) b.write_bps = parse_throttle(ctx, *f, true);
  if (auto f = o.get("throttleReadIOPSDevice")) b.read_iops = parse_throttle(ctx, *f, false);
  if (auto f = o.get("throttleWriteIOPSDevice")) b.write_iops = parse_throttle(ctx, *f, false);
  o.finish();
}

// hugepageLimits: [{pageSize: 2MB, limit}]; the limit may be a size (1Gi).
void parse_hugepages(Ctx& ctx, const Field& field, std::vector<cgroups::HugepageLimit>& out) {
  out.clear();
  for (const Field& h : list(ctx, field, "must be a list of {pageSize, limit}")) {
    Obj o(ctx, h);
    cgroups::HugepageLimit limit;
    const Field page = required(ctx, o, h, "pageSize");
    limit.page_size = str(ctx, page);
    const std::string& p = limit.page_size;
    const size_t digits = p.find_first_not_of("0123456789");
    if (digits == 0 || digits == std::string::npos || p[0] == '0' ||
        (p.substr(digits) != "KB" && p.substr(digits) != "MB" && p.substr(digits) != "GB"))
      ctx.fail(page.line, page.path, "invalid page size \"" + p + "\" (use e.g. 2MB or 1GB)");
    limit.limit = size(ctx, required(ctx, o, h, "limit"));
    o.finish();
    out.push_back(limit);
  }
}

void parse_network(Ctx& ctx, const Field& field, cgroups::NetworkResources& net) {
  Obj o(ctx, field);
  if (auto f = o.get("classID")) net.class_id = uint32(ctx, *f);
  if (auto f = o.get("priorities")) {
    net.priorities.clear();
    for (const Field& p : list(ctx, *f, "must be a list of {name, priority}")) {
      Obj po(ctx, p);
      std::string name = str(ctx, required(ctx, po, p, "name"));
      uint32_t prio = uint32(ctx, required(ctx, po, p, "priority"));
      po.finish();
      net.priorities.emplace_back(name, prio);
    }
  }
  o.finish();
}

// rdma: {DEVICE: {hcaHandles, hcaObjects}}
void parse_rdma(Ctx& ctx, const Field& field, std::map<std::string, cgroups::RdmaLimit>& out) {
  out.clear();
  Obj devices(ctx, field);
  for (const auto& entry : field.node) {
    // The name is a key: read it as a string (valid UTF-8 and all).
    const std::string name = str(ctx, Field{entry.first, field.path, line_of(entry.first)});
    auto dev = devices.get(name);
    if (!dev) continue;
    if (name.find_first_of(" \t\n") != std::string::npos)
      ctx.fail(dev->line, dev->path, "invalid RDMA device name \"" + name + "\"");
    Obj o(ctx, *dev);
    cgroups::RdmaLimit limit;
    if (auto f = o.get("hcaHandles")) limit.hca_handles = uint32(ctx, *f);
    if (auto f = o.get("hcaObjects")) limit.hca_objects = uint32(ctx, *f);
    o.finish();
    out[name] = limit;
  }
  devices.finish();
}

}  // namespace vsrv::spec::detail
