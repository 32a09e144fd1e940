// Links on the host: the bridge, veth pairs, deletion; the netlink socket.
#include <net/if.h>
#include <netlink/route/addr.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <sys/socket.h>

#include <cerrno>

#include "netlink.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"

namespace vsrv::isolation {

namespace nl {

Socket::Socket() : sk_(nl_socket_alloc()) {
  if (!sk_) throw Error("netlink: out of memory");
  check(nl_connect(sk_.get(), NETLINK_ROUTE), "netlink: connect");
}

void check(int err, const std::string& what) {
  if (err < 0) throw Error(what + ": " + nl_geterror(err));
}

Addr to_addr(const Cidr& c) {
  Addr a(nl_addr_build(c.family, c.bytes, c.bits() / 8));
  if (!a) throw Error("netlink: out of memory");
  nl_addr_set_prefixlen(a.get(), c.prefix);
  return a;
}

Addr parse_mac(const std::string& mac) {
  nl_addr* a = nullptr;
  int err = nl_addr_parse(mac.c_str(), AF_LLC, &a);
  Addr out(a);
  check(err, "MAC address " + mac);
  return out;
}

Link get_link(Socket& sk, const std::string& name) {
  rtnl_link* l = nullptr;
  int err = rtnl_link_get_kernel(sk.get(), 0, name.c_str(), &l);
  Link out(l);
  if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND) return Link();
  check(err, "look up network device " + name);
  return out;
}

int ifindex(Socket& sk, const std::string& name) {
  Link l = get_link(sk, name);
  if (!l) throw Error(name + ": no such network device");
  return rtnl_link_get_ifindex(l.get());
}

void set_up(Socket& sk, const std::string& name) {
  Link cur = get_link(sk, name);
  if (!cur) throw Error(name + ": no such network device");
  Link change(rtnl_link_alloc());
  rtnl_link_set_flags(change.get(), IFF_UP);
  check(rtnl_link_change(sk.get(), cur.get(), change.get(), 0), "bring " + name + " up");
}

}  // namespace nl

void set_device_sysctl(const std::string& section, const std::string& dev, const std::string& key,
                       const std::string& value) {
  write_file("/proc/sys/net/" + section + "/" + dev + "/" + key, value);
}

void ensure_bridge(const Bridge& b) {
  nl::Socket sk;
  if (!nl::get_link(sk, b.name)) {
    nl::Link br(rtnl_link_bridge_alloc());
    if (!br) throw Error("netlink: out of memory");
    rtnl_link_set_name(br.get(), b.name.c_str());
    if (b.mtu > 0) rtnl_link_set_mtu(br.get(), static_cast<unsigned>(b.mtu));
    int err = rtnl_link_add(sk.get(), br.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err != -NLE_EXIST) nl::check(err, "create bridge " + b.name);  // or another vsrv did
  }
  int index = nl::ifindex(sk, b.name);
  for (const Cidr& c : b.addresses) {
    nl::Ptr<rtnl_addr, rtnl_addr_put> a(rtnl_addr_alloc());
    rtnl_addr_set_ifindex(a.get(), index);
    rtnl_addr_set_family(a.get(), c.family);
    nl::Addr local = nl::to_addr(c);
    nl::check(rtnl_addr_set_local(a.get(), local.get()), "address " + c.str());
    if (c.family == AF_INET6) rtnl_addr_set_flags(a.get(), IFA_F_NODAD);
    int err = rtnl_addr_add(sk.get(), a.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err != -NLE_EXIST) nl::check(err, "add " + c.str() + " to bridge " + b.name);
  }
  nl::set_up(sk, b.name);
}

void create_veth(const Veth& v) {
  if (v.host_name.empty() || v.host_name.size() >= IFNAMSIZ || v.peer_name.size() >= IFNAMSIZ)
    throw Error(ErrorKind::kUsage, "veth names must be 1 to 15 characters");
  nl::Socket sk;
  nl::Link veth(rtnl_link_veth_alloc());
  if (!veth) throw Error("netlink: out of memory");
  rtnl_link_set_name(veth.get(), v.host_name.c_str());
  if (v.mtu > 0) rtnl_link_set_mtu(veth.get(), static_cast<unsigned>(v.mtu));
  if (!v.master.empty()) rtnl_link_set_master(veth.get(), nl::ifindex(sk, v.master));
  nl::Addr mac;
  if (!v.host_mac.empty()) {
    mac = nl::parse_mac(v.host_mac);
    rtnl_link_set_addr(veth.get(), mac.get());
  }
  {
    nl::Link peer(rtnl_link_veth_get_peer(veth.get()));
    rtnl_link_set_name(peer.get(), v.peer_name.c_str());
    rtnl_link_set_ns_pid(peer.get(), v.peer_pid);
    if (v.mtu > 0) rtnl_link_set_mtu(peer.get(), static_cast<unsigned>(v.mtu));
  }
  int err = rtnl_link_add(sk.get(), veth.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err == -NLE_EXIST)
    throw Error(ErrorKind::kState, "network device " + v.host_name + " exists already");
  nl::check(err, "create veth pair " + v.host_name + "/" + v.peer_name);
  try {
    if (v.proxy_arp) {
      set_device_sysctl("ipv4/conf", v.host_name, "proxy_arp", "1");
      set_device_sysctl("ipv4/neigh", v.host_name, "proxy_delay", "0");
      // Without DAD the host end's link-local address is usable at once,
      // so neighbour discovery towards the server works from the start.
      try {
        set_device_sysctl("ipv6/conf", v.host_name, "accept_dad", "0");
      } catch (const SysError& e) {
        if (e.err() != ENOENT) throw;  // IPv6 is off on this host
      }
    }
    nl::set_up(sk, v.host_name);
  } catch (...) {
    delete_link(v.host_name);
    throw;
  }
}

bool link_exists(const std::string& name) {
  nl::Socket sk;
  return static_cast<bool>(nl::get_link(sk, name));
}

void delete_link(const std::string& name) {
  nl::Socket sk;
  nl::Link l(rtnl_link_alloc());
  rtnl_link_set_name(l.get(), name.c_str());
  int err = rtnl_link_delete(sk.get(), l.get());
  if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND) return;
  nl::check(err, "delete network device " + name);
}

}  // namespace vsrv::isolation
