#include "network.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>

#include "ipam.hpp"
#include "net_host.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/base/stop_point.hpp"

namespace vsrv::runtime {

namespace {

using isolation::Cidr;
using isolation::parse_cidr;

constexpr const char* kDefaultConfig = "/etc/vsrv/network.yaml";
// The routed mode's gateway: link-local, answered by the host end whose
// MAC is fixed (every routed veth is its own link, so one MAC serves all).
constexpr const char* kRoutedGateway4 = "169.254.1.1";
constexpr const char* kRoutedGateway6 = "fe80::1";
constexpr const char* kRoutedMac = "ee:ee:ee:ee:ee:ee";

Cidr config_subnet(const YAML::Node& n, const std::string& file, const char* key, int family) {
  Cidr c;
  try {
    c = parse_cidr(n.as<std::string>());
  } catch (const std::exception& e) {
    throw Error(ErrorKind::kUsage, file + ": " + key + ": " + e.what());
  }
  int min_host_bits = family == AF_INET ? 2 : 8;
  if (c.family != family || c.bits() - c.prefix < min_host_bits ||
      (family == AF_INET6 && c.prefix < 64))
    throw Error(ErrorKind::kUsage,
                file + ": " + key + ": " + c.str() + " is not a usable " +
                    (family == AF_INET ? "IPv4 subnet (/8 to /30)" : "IPv6 subnet (/64 to /120)"));
  return c.network();
}

// "vs" + the IPv4 address in hex: unique while the address is held.
std::string host_if_name(const Cidr& a) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "vs%02x%02x%02x%02x", a.bytes[0], a.bytes[1], a.bytes[2],
                a.bytes[3]);
  return buf;
}

Cidr any_address(int family) {
  Cidr c;
  c.family = family;
  c.prefix = 0;
  return c;
}

Cidr with_prefix(Cidr c, int prefix) {
  c.prefix = prefix;
  return c;
}

// The address a server asks for (auto, or given), claimed for id.
Cidr claim_address(Ipam& ipam, const std::string& text, const Cidr& subnet, bool in_subnet,
                   const std::string& field, const std::string& id) {
  if (text.empty() || text == "auto") return ipam.allocate(subnet, id);
  Cidr a = parse_cidr(text);
  if (in_subnet) {
    uint64_t offset = a.host_part();
    if (!subnet.contains(a) || offset < 2 || offset > subnet.size() - 2)
      throw Error(ErrorKind::kUsage, field + ": " + a.address() +
                                         " is not a server address of the bridge subnet " +
                                         subnet.str() + " (set the subnet in the network config)");
  }
  ipam.claim(a, id);
  return a;
}

// Where a create writes each address before claiming it (ipam.hpp).
std::string ipam_journal(const GlobalOptions& g, const std::string& id) {
  return StateStore(g.root).dir(id) + "/ipam-claims";
}

std::string port_record(const isolation::PortForward& f) {
  return f.proto + " " + std::to_string(f.host_port) + " " + f.address.address() + " " +
         std::to_string(f.port);
}

isolation::PortForward port_from_record(const std::string& text) {
  auto parts = split(text, ' ');
  if (parts.size() != 4) throw Error("bad port record \"" + text + "\" in state");
  isolation::PortForward f;
  f.proto = parts[0];
  f.host_port = static_cast<uint16_t>(std::stoul(parts[1]));
  f.address = parse_cidr(parts[2]);
  f.port = static_cast<uint16_t>(std::stoul(parts[3]));
  return f;
}

}  // namespace

NetConfig load_net_config(const GlobalOptions& g) {
  NetConfig c;
  std::string path = g.network_config.empty() ? kDefaultConfig : g.network_config;
  struct stat st;
  if (g.network_config.empty() && ::stat(path.c_str(), &st) < 0) return c;
  YAML::Node doc;
  try {
    doc = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw Error(ErrorKind::kUsage, "--network-config " + path + ": cannot read it");
  } catch (const YAML::Exception& e) {
    throw Error(ErrorKind::kUsage, path + ": invalid YAML: " + e.msg);
  }
  if (!doc.IsDefined() || doc.IsNull()) return c;
  if (!doc.IsMap()) throw Error(ErrorKind::kUsage, path + ": must be a map");
  for (const auto& kv : doc) {
    std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (key == "bridge") {
      c.bridge = v.as<std::string>();
      if (c.bridge.empty() || c.bridge.size() > 15 || c.bridge.find('/') != std::string::npos)
        throw Error(ErrorKind::kUsage,
                    path + ": bridge: must be a device name of 1 to 15 characters");
    } else if (key == "subnet") {
      c.subnet = config_subnet(v, path, "subnet", AF_INET);
    } else if (key == "subnet6") {
      c.subnet6 = config_subnet(v, path, "subnet6", AF_INET6);
    } else if (key == "mtu") {
      int mtu = 0;
      try {
        mtu = v.as<int>();
      } catch (const YAML::Exception&) {
      }
      if (mtu < 68 || mtu > 65535)
        throw Error(ErrorKind::kUsage, path + ": mtu: must be a number from 68 to 65535");
      c.mtu = mtu;
    } else {
      throw Error(ErrorKind::kUsage,
                  path + ": " + key + ": unknown key (bridge, subnet, subnet6, mtu)");
    }
  }
  return c;
}

namespace {

// The plan for addresses a4 (and a6) already held; fills in net what
// teardown_network needs.
NetPlan plan_for(const GlobalOptions& g, const NetConfig& cfg, const spec::Network& want,
                 const Cidr& a4, const std::optional<Cidr>& a6, NetState& net) {
  NetPlan plan;
  const bool bridged = want.mode == "bridge";
  plan.mode = want.mode;
  plan.root = g.root;
  int mtu = want.mtu ? want.mtu : cfg.mtu;
  plan.veth.host_name = host_if_name(a4);
  plan.veth.peer_name = "eth0";
  plan.veth.mtu = mtu;
  net.host_if = plan.veth.host_name;
  plan.nic.name = "eth0";
  if (bridged) {
    plan.bridge.name = cfg.bridge;
    plan.bridge.mtu = mtu;
    plan.bridge.addresses.push_back(cfg.subnet.at(1));
    if (a6) plan.bridge.addresses.push_back(cfg.subnet6.at(1));
    plan.veth.master = cfg.bridge;
    plan.nic.addresses.push_back(with_prefix(a4, cfg.subnet.prefix));
    plan.nic.routes.push_back({any_address(AF_INET), cfg.subnet.at(1)});
    if (a6) {
      plan.nic.addresses.push_back(with_prefix(*a6, cfg.subnet6.prefix));
      plan.nic.routes.push_back({any_address(AF_INET6), cfg.subnet6.at(1)});
    }
  } else {
    plan.veth.host_mac = kRoutedMac;
    plan.veth.proxy_arp = true;
    Cidr gw4 = parse_cidr(kRoutedGateway4);
    plan.nic.addresses.push_back(with_prefix(a4, 32));
    plan.nic.neighbors.push_back({gw4, kRoutedMac});
    plan.nic.routes.push_back({gw4, Cidr{}});
    plan.nic.routes.push_back({any_address(AF_INET), gw4});
    plan.host_routes.push_back(with_prefix(a4, 32));
    if (a6) {
      Cidr gw6 = parse_cidr(kRoutedGateway6);
      plan.nic.addresses.push_back(with_prefix(*a6, 128));
      plan.nic.neighbors.push_back({gw6, kRoutedMac});
      plan.nic.routes.push_back({any_address(AF_INET6), gw6});
      plan.host_routes.push_back(with_prefix(*a6, 128));
    }
  }
  for (const Cidr& c : plan.nic.addresses) net.addresses.push_back(c.str());
  for (const Cidr& c : plan.host_routes) net.routes.push_back(c.str());
  for (const spec::PortMap& p : want.ports) {
    for (const Cidr* a : {&a4, a6 ? &*a6 : nullptr}) {
      if (!a) continue;
      isolation::PortForward f{p.proto, p.host_port, with_prefix(*a, a->bits()), p.port};
      plan.ports.push_back(f);
      net.ports.push_back(port_record(f));
    }
  }
  return plan;
}

}  // namespace

NetPlan plan_network(const GlobalOptions& g, const spec::Spec& s, const std::string& id,
                     NetState& net) {
  const spec::Network& want = s.vsrv.network;
  if (want.mode != "bridge" && want.mode != "routed") return {};
  NetConfig cfg = load_net_config(g);
  const bool bridged = want.mode == "bridge";
  net.mode = want.mode;
  if (bridged) net.bridge = cfg.bridge;

  Ipam ipam(g.root, ipam_journal(g, id));
  Cidr a4 = claim_address(ipam, want.address, cfg.subnet, bridged, "vsrv.network.address", id);
  net.ipam.push_back(Ipam::key(a4));
  std::optional<Cidr> a6;
  if (!want.address6.empty()) {
    try {
      a6 = claim_address(ipam, want.address6, cfg.subnet6, bridged, "vsrv.network.address6", id);
    } catch (...) {
      ipam.release(net.ipam.front(), id);  // the caller's undo does not cover a throw from here
      throw;
    }
    net.ipam.push_back(Ipam::key(*a6));
  }
  NetPlan plan = plan_for(g, cfg, want, a4, a6, net);
  stop_point("net-ipam");  // addresses claimed, not yet in state.json
  return plan;
}

NetPlan replan_network(const GlobalOptions& g, const spec::Spec& s, const NetState& recorded) {
  const spec::Network& want = s.vsrv.network;
  if (want.mode != "bridge" && want.mode != "routed") return {};
  std::optional<Cidr> a4, a6;
  for (const std::string& text : recorded.addresses) {
    Cidr a = parse_cidr(text);
    a = with_prefix(a, a.bits());
    (a.family == AF_INET ? a4 : a6) = a;
  }
  if (!a4) throw Error("the server's state records no IPv4 address");
  NetState scratch;
  return plan_for(g, load_net_config(g), want, *a4, a6, scratch);
}

void setup_host_network(const NetPlan& plan, pid_t init_pid) {
  if (plan.mode.empty()) return;
  isolation::Veth veth = plan.veth;
  veth.peer_pid = init_pid;
  if (plan.mode == "bridge") {
    // Shared: the bridge cannot go between being ensured and getting a port.
    HostNetLock lock(plan.root, false);
    ensure_bridge_recorded(plan.root, plan.bridge);
    stop_point("net-bridge");
    isolation::create_veth(veth);
  } else {
    isolation::create_veth(veth);
  }
  stop_point("net-veth");
  try {
    for (const Cidr& r : plan.host_routes) isolation::add_device_route(veth.host_name, r);
  } catch (...) {
    isolation::delete_link(veth.host_name);
    throw;
  }
  stop_point("net-routes");
}

void forward_ports(const NetPlan& plan) {
  if (plan.ports.empty()) return;
  {
    // Shared: the table cannot go between being created and holding these.
    HostNetLock lock(plan.root, false);
    isolation::add_port_forwards(plan.ports);
  }
  stop_point("net-ports");
}

void teardown_network(const GlobalOptions& g, const std::string& id, const NetState& net,
                      bool force) {
  // A create killed before it recorded its addresses has them in the journal.
  std::vector<std::string> keys = net.ipam;
  for (const auto& k : Ipam::journaled(ipam_journal(g, id)))
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  if (net.mode.empty() && keys.empty()) return;
  FirstError errors;
  std::vector<isolation::PortForward> ports;
  errors.step([&] {
    for (const auto& p : net.ports) ports.push_back(port_from_record(p));
    isolation::remove_port_forwards(ports);
  });
  Ipam ipam(g.root);
  // The host end is named after the server's IPv4 address: while the server
  // holds that address, the device by that name is its own.
  bool ours = !net.ipam.empty() && ipam.held_by(net.ipam.front(), id);
  if (ours && !net.host_if.empty()) {
    for (const auto& r : net.routes)
      errors.step([&] { isolation::delete_device_route(net.host_if, parse_cidr(r)); });
    errors.step([&] { isolation::delete_link(net.host_if); });
  }
  if (errors.failed() && !force) throw Error("network teardown: " + errors.message());
  for (const auto& key : keys) ipam.release(key, id);
  // What servers share, when vsrv made it and this was its last user.
  errors.step([&] { release_unused(g.root, net.bridge, !net.ports.empty()); });
  if (errors.failed() && !force) throw Error("network teardown: " + errors.message());
}

}  // namespace vsrv::runtime
