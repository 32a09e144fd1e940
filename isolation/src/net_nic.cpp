// Addresses, neighbours and routes: the server's NIC (inside) and host
// routes to routed servers (outside).
#include <linux/rtnetlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <sys/socket.h>

#include "netlink.hpp"
#include "vsrv/base/error.hpp"

namespace vsrv::isolation {

namespace {

using RoutePtr = nl::Ptr<rtnl_route, rtnl_route_put>;

// A main-table route to dst through ifindex, via a gateway when given.
RoutePtr make_route(const Cidr& dst, int index, const Cidr* via) {
  RoutePtr r(rtnl_route_alloc());
  if (!r) throw Error("netlink: out of memory");
  rtnl_route_set_family(r.get(), static_cast<uint8_t>(dst.family));
  rtnl_route_set_table(r.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(r.get(), RTPROT_STATIC);
  rtnl_route_set_type(r.get(), RTN_UNICAST);
  rtnl_route_set_scope(r.get(), via ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
  nl::Addr d = nl::to_addr(dst.network());
  nl::check(rtnl_route_set_dst(r.get(), d.get()), "route to " + dst.str());
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  if (!nh) throw Error("netlink: out of memory");
  rtnl_route_nh_set_ifindex(nh, index);
  if (via) {
    Cidr gw = *via;
    gw.prefix = gw.bits();
    nl::Addr g = nl::to_addr(gw);
    rtnl_route_nh_set_gateway(nh, g.get());  // takes its own reference
  }
  rtnl_route_add_nexthop(r.get(), nh);  // the route owns nh now
  return r;
}

std::string describe(const Route& rt, const std::string& dev) {
  std::string d = rt.dst.prefix == 0 ? "default" : rt.dst.str();
  if (rt.via.family) d += " via " + rt.via.address();
  return d + " dev " + dev;
}

}  // namespace

void configure_nic(const Nic& nic) {
  nl::Socket sk;
  nl::set_up(sk, nic.name);
  int index = nl::ifindex(sk, nic.name);
  for (const Cidr& c : nic.addresses) {
    nl::Ptr<rtnl_addr, rtnl_addr_put> a(rtnl_addr_alloc());
    rtnl_addr_set_ifindex(a.get(), index);
    rtnl_addr_set_family(a.get(), c.family);
    nl::Addr local = nl::to_addr(c);
    nl::check(rtnl_addr_set_local(a.get(), local.get()), "address " + c.str());
    if (c.family == AF_INET6) rtnl_addr_set_flags(a.get(), IFA_F_NODAD);
    nl::check(rtnl_addr_add(sk.get(), a.get(), NLM_F_CREATE | NLM_F_EXCL),
              "add address " + c.str() + " to " + nic.name);
  }
  for (const Neighbor& n : nic.neighbors) {
    nl::Ptr<rtnl_neigh, rtnl_neigh_put> ne(rtnl_neigh_alloc());
    rtnl_neigh_set_ifindex(ne.get(), index);
    rtnl_neigh_set_family(ne.get(), n.address.family);
    Cidr host = n.address;
    host.prefix = host.bits();
    nl::Addr dst = nl::to_addr(host);
    nl::check(rtnl_neigh_set_dst(ne.get(), dst.get()), "neighbour " + host.address());
    nl::Addr mac = nl::parse_mac(n.mac);
    rtnl_neigh_set_lladdr(ne.get(), mac.get());
    rtnl_neigh_set_state(ne.get(), NUD_PERMANENT);
    nl::check(rtnl_neigh_add(sk.get(), ne.get(), NLM_F_CREATE | NLM_F_REPLACE),
              "add neighbour " + host.address() + " on " + nic.name);
  }
  for (const Route& rt : nic.routes) {
    RoutePtr r = make_route(rt.dst, index, rt.via.family ? &rt.via : nullptr);
    nl::check(rtnl_route_add(sk.get(), r.get(), NLM_F_CREATE | NLM_F_EXCL),
              "add route " + describe(rt, nic.name));
  }
}

void add_device_route(const std::string& dev, const Cidr& dst) {
  nl::Socket sk;
  RoutePtr r = make_route(dst, nl::ifindex(sk, dev), nullptr);
  nl::check(rtnl_route_add(sk.get(), r.get(), NLM_F_CREATE | NLM_F_EXCL),
            "add route " + dst.str() + " dev " + dev);
}

void delete_device_route(const std::string& dev, const Cidr& dst) {
  nl::Socket sk;
  nl::Link l = nl::get_link(sk, dev);
  if (!l) return;  // the route went with its device
  RoutePtr r = make_route(dst, rtnl_link_get_ifindex(l.get()), nullptr);
  int err = rtnl_route_delete(sk.get(), r.get(), 0);
  if (err == -NLE_OBJ_NOTFOUND) return;
  nl::check(err, "delete route " + dst.str() + " dev " + dev);
}

}  // namespace vsrv::isolation
