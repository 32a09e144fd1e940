// A server's network (vsrv.network): what is decided before clone (IPAM,
// names, both sides' configuration), the host side set up between clone
// and the init's go, and the teardown delete runs from the state alone.
//
//   none    new network namespace, loopback only (the init brings lo up)
//   host    the host's network namespace
//   ns      joins the network namespace at path
//   bridge  veth pair, host end on the bridge (vsrv0, created on demand
//           with the gateway address), server end eth0 with an address from
//           the configured subnet and a default route via the gateway
//   routed  OpenVZ venet style: veth pair without a bridge, a /32 (/128)
//           host route to the server through the host end, which answers
//           ARP as a proxy; the server's default route goes via a
//           link-local gateway (169.254.1.1, fe80::1) whose MAC is fixed
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "vsrv/isolation/network.hpp"
#include "vsrv/runtime/options.hpp"
#include "vsrv/runtime/spec.hpp"
#include "vsrv/runtime/state.hpp"

namespace vsrv::runtime {

// The host's network configuration: a YAML file (--network-config, else
// /etc/vsrv/network.yaml when it exists) with any of these keys.
struct NetConfig {
  std::string bridge = "vsrv0";
  isolation::Cidr subnet = isolation::parse_cidr("10.77.0.0/16");
  isolation::Cidr subnet6 = isolation::parse_cidr("fd76:7372:7600::/64");
  int mtu = 1500;
};
NetConfig load_net_config(const GlobalOptions& g);

struct NetPlan {
  std::string mode;                          // bridge | routed; empty: nothing outside the server
  std::string root;                          // --root: the host-wide lock and records (net_host)
  isolation::Bridge bridge;                  // bridge mode
  isolation::Veth veth;                      // peer_pid set by setup_host_network
  std::vector<isolation::Cidr> host_routes;  // routed mode
  isolation::Nic nic;                        // configured by the init, inside
  std::vector<isolation::PortForward> ports;
};

// Decides the server's network and claims its addresses; records in net
// everything teardown_network needs (the caller writes the state).
NetPlan plan_network(const GlobalOptions& g, const spec::Spec& s, const std::string& id,
                     NetState& net);
// The same plan again for a server whose addresses recorded holds (a
// relaunched init: restart policy); claims nothing.
NetPlan replan_network(const GlobalOptions& g, const spec::Spec& s, const NetState& recorded);
// The host side, once the init (pid) exists and before it goes on.
void setup_host_network(const NetPlan& plan, pid_t init_pid);
// Port forwards (nftables); the forwards are in net.ports already.
void forward_ports(const NetPlan& plan);
// Undoes what net records: forwards, host routes, the veth (only while the
// server still holds its address), then the addresses (those recorded, and
// those in the IPAM journal of a create killed before recording them), then
// the bridge and the nftables table when vsrv made them and nothing uses them
// any more. Every step tolerates what is gone already, so it can run again
// after a crash. A failed step throws after the others ran, keeping the
// addresses unless force.
void teardown_network(const GlobalOptions& g, const std::string& id, const NetState& net,
                      bool force);

}  // namespace vsrv::runtime
