// Networking inside and outside a server, done with netlink (libnl-route-3)
// and nftables (libnftables): never by running ip or nft.
//
// Outside (the host's network namespace): the bridge, the host end of each
// server's veth pair, host routes to routed servers, and port forwards.
// Inside (run in the server's network namespace): the server's end of the
// pair, its addresses, neighbours and routes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vsrv::isolation {

// ---- addresses ------------------------------------------------------------

// An IPv4 or IPv6 address with a prefix length, e.g. 10.77.0.5/16 or fd00::5/64.
struct Cidr {
  int family = 0;          // AF_INET or AF_INET6
  uint8_t bytes[16] = {};  // network byte order; 4 used for AF_INET
  int prefix = 0;

  int bits() const;                        // 32 or 128
  std::string address() const;             // "10.77.0.5"
  std::string str() const;                 // "10.77.0.5/16"
  Cidr network() const;                    // host bits cleared
  bool contains(const Cidr& other) const;  // other's address lies in this network
  // The address at offset n from the network address (host bits = n; the
  // low 64 bits only). Throws when n does not fit in the host part.
  Cidr at(uint64_t n) const;
  // The host part of the address (its low 64 bits).
  uint64_t host_part() const;
  // How many addresses the host part spans (capped at 2^63).
  uint64_t size() const;
  bool operator==(const Cidr& o) const;
};
// Parses "ADDR/PREFIX" (or a bare address: the full-length prefix).
// Throws Error(kUsage) naming the text.
Cidr parse_cidr(const std::string& text);
bool is_cidr(const std::string& text);

// ---- outside: the host side -----------------------------------------------

// A bridge created on demand: addresses added when missing, brought up.
struct Bridge {
  std::string name;
  std::vector<Cidr> addresses;  // the servers' gateway(s); IPv6 without DAD
  int mtu = 0;                  // 0: the kernel's default
};
// What ensure_bridge did itself (another process may have done the rest).
struct BridgeMade {
  int ifindex = 0;
  bool created = false;     // the bridge is new: this call made it
  std::vector<Cidr> added;  // addresses this call added
};
BridgeMade ensure_bridge(const Bridge& bridge);

// A veth pair whose peer is created directly in the network namespace of
// process peer_pid, under peer_name. The host end is brought up.
struct Veth {
  std::string host_name;
  std::string peer_name = "eth0";
  pid_t peer_pid = 0;
  int mtu = 0;
  std::string master;      // bridge to attach the host end to, or empty
  std::string host_mac;    // fixed MAC of the host end ("ee:ee:..."), or empty
  bool proxy_arp = false;  // the host end answers ARP for what the host routes
};
void create_veth(const Veth& veth);

// A route on the host to dst (a /32 or /128) through device dev, scope link.
void add_device_route(const std::string& dev, const Cidr& dst);
void delete_device_route(const std::string& dev, const Cidr& dst);  // gone is fine
// Deletes a link by name; a link that is gone already is fine.
void delete_link(const std::string& name);
// Deletes the link with this ifindex; gone already is fine.
void delete_link(int ifindex);
bool link_exists(const std::string& name);
// The ifindex of the link named name; 0 when there is none.
int link_index(const std::string& name);
// Whether any link has the link ifindex as its master (a bridge's ports).
// Asks the kernel for those links only (a filtered dump).
bool has_ports(int ifindex);
// Removes an address from the link ifindex; gone already is fine.
void delete_address(int ifindex, const Cidr& address);

// ---- inside: the server side (call in the server's network namespace) -----

struct Neighbor {
  Cidr address;     // prefix ignored
  std::string mac;  // "ee:ee:ee:ee:ee:ee"
};
struct Route {
  Cidr dst;  // 0.0.0.0/0 or ::/0 for a default route
  Cidr via;  // family 0: a device route (scope link)
};
struct Nic {
  std::string name = "eth0";
  std::vector<Cidr> addresses;      // IPv6 without duplicate address detection
  std::vector<Neighbor> neighbors;  // permanent entries
  std::vector<Route> routes;        // added in order
};
// Brings the NIC up, then adds addresses, neighbours and routes.
void configure_nic(const Nic& nic);

// ---- port forwarding with nftables ----------------------------------------

// host_port on the host's own addresses (not loopback) forwarded to
// address:port. One table, inet vsrv, with one map per family; each forward
// is an element of it, so adding and removing is O(1) and atomic.
struct PortForward {
  std::string proto = "tcp";  // tcp | udp
  uint16_t host_port = 0;
  Cidr address;
  uint16_t port = 0;
};
// All or none; a host port forwarded already is an Error naming it.
void add_port_forwards(const std::vector<PortForward>& forwards);
// Removes each forward that still points at its address; absent ones are fine.
void remove_port_forwards(const std::vector<PortForward>& forwards);
// Deletes table inet vsrv when add_port_forwards created it (its comment
// says so: a table made otherwise is never touched) and no forward is left
// in it. The caller makes sure no add_port_forwards runs meanwhile. True
// when it deleted the table.
bool remove_forward_table_if_unused();

// Writes a per-device sysctl, e.g. ("ipv4/conf", "vs0a4d0005", "proxy_arp", "1").
void set_device_sysctl(const std::string& section, const std::string& dev, const std::string& key,
                       const std::string& value);

}  // namespace vsrv::isolation
