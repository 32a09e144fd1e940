// Links on the host: the bridge, veth pairs, deletion; the netlink socket.
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/msg.h>
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

BridgeMade ensure_bridge(const Bridge& b) {
  BridgeMade made;
  nl::Socket sk;
  if (!nl::get_link(sk, b.name)) {
    nl::Link br(rtnl_link_bridge_alloc());
    if (!br) throw Error("netlink: out of memory");
    rtnl_link_set_name(br.get(), b.name.c_str());
    if (b.mtu > 0) rtnl_link_set_mtu(br.get(), static_cast<unsigned>(b.mtu));
    int err = rtnl_link_add(sk.get(), br.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err != -NLE_EXIST) nl::check(err, "create bridge " + b.name);  // or another vsrv did
    made.created = err == 0;
  }
  int index = nl::ifindex(sk, b.name);
  made.ifindex = index;
  for (const Cidr& c : b.addresses) {
    nl::Ptr<rtnl_addr, rtnl_addr_put> a(rtnl_addr_alloc());
    rtnl_addr_set_ifindex(a.get(), index);
    rtnl_addr_set_family(a.get(), c.family);
    nl::Addr local = nl::to_addr(c);
    nl::check(rtnl_addr_set_local(a.get(), local.get()), "address " + c.str());
    if (c.family == AF_INET6) rtnl_addr_set_flags(a.get(), IFA_F_NODAD);
    int err = rtnl_addr_add(sk.get(), a.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err != -NLE_EXIST) nl::check(err, "add " + c.str() + " to bridge " + b.name);
    if (err == 0) made.added.push_back(c);
  }
  nl::set_up(sk, b.name);
  return made;
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

int link_index(const std::string& name) {
  nl::Socket sk;
  nl::Link l = nl::get_link(sk, name);
  return l ? rtnl_link_get_ifindex(l.get()) : 0;
}

bool has_ports(int ifindex) {
  nl::Socket sk;
  // With strict checking the kernel filters the dump by IFLA_MASTER and
  // sends only the ports; without it (old kernels) it sends every link and
  // the callback filters.
  int one = 1;
  ::setsockopt(nl_socket_get_fd(sk.get()), SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof one);
  nl::Ptr<nl_msg, nlmsg_free> msg(nlmsg_alloc_simple(RTM_GETLINK, NLM_F_DUMP));
  if (!msg) throw Error("netlink: out of memory");
  ifinfomsg ifi = {};
  ifi.ifi_family = AF_UNSPEC;
  if (nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
      nla_put_u32(msg.get(), IFLA_MASTER, static_cast<uint32_t>(ifindex)) < 0)
    throw Error("netlink: out of memory");
  nl::check(nl_send_auto(sk.get(), msg.get()), "list the ports of link " + std::to_string(ifindex));
  struct Seen {
    uint32_t master;
    bool port = false;
  } seen{static_cast<uint32_t>(ifindex)};
  auto on_link = [](nl_msg* m, void* arg) -> int {
    auto* s = static_cast<Seen*>(arg);
    nlattr* tb[IFLA_MAX + 1];
    if (nlmsg_parse(nlmsg_hdr(m), sizeof(ifinfomsg), tb, IFLA_MAX, nullptr) == 0 &&
        tb[IFLA_MASTER] && nla_get_u32(tb[IFLA_MASTER]) == s->master)
      s->port = true;
    return NL_OK;
  };
  nl_socket_modify_cb(sk.get(), NL_CB_VALID, NL_CB_CUSTOM, on_link, &seen);
  nl::check(nl_recvmsgs_default(sk.get()), "list the ports of link " + std::to_string(ifindex));
  return seen.port;
}

void delete_address(int ifindex, const Cidr& c) {
  nl::Socket sk;
  nl::Ptr<rtnl_addr, rtnl_addr_put> a(rtnl_addr_alloc());
  if (!a) throw Error("netlink: out of memory");
  rtnl_addr_set_ifindex(a.get(), ifindex);
  rtnl_addr_set_family(a.get(), c.family);
  nl::Addr local = nl::to_addr(c);
  nl::check(rtnl_addr_set_local(a.get(), local.get()), "address " + c.str());
  int err = rtnl_addr_delete(sk.get(), a.get(), 0);
  if (err == -NLE_NOADDR || err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND) return;
  nl::check(err, "delete address " + c.str());
}

void delete_link(int ifindex) {
  nl::Socket sk;
  nl::Link l(rtnl_link_alloc());
  if (!l) throw Error("netlink: out of memory");
  rtnl_link_set_ifindex(l.get(), ifindex);
  int err = rtnl_link_delete(sk.get(), l.get());
  if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND) return;
  nl::check(err, "delete network device " + std::to_string(ifindex));
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
