// Small RAII wrappers over libnl-route-3, private to the isolation layer.
#pragma once

#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include <memory>
#include <string>

#include "vsrv/isolation/network.hpp"

namespace vsrv::isolation::nl {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const {
    if (p) Free(p);
  }
};
template <class T, void (*Free)(T*)>
using Ptr = std::unique_ptr<T, Deleter<T, Free>>;

using Link = Ptr<rtnl_link, rtnl_link_put>;
using Addr = Ptr<nl_addr, nl_addr_put>;

// A connected NETLINK_ROUTE socket in the caller's network namespace.
class Socket {
 public:
  Socket();
  nl_sock* get() const { return sk_.get(); }

 private:
  Ptr<nl_sock, nl_socket_free> sk_;
};

// Throws Error("<what>: <libnl's reason>") for err < 0.
void check(int err, const std::string& what);

// The address of a Cidr (with its prefix length).
Addr to_addr(const Cidr& c);
// A MAC address "ee:ee:ee:ee:ee:ee".
Addr parse_mac(const std::string& mac);

// The link named name, or null when there is none.
Link get_link(Socket& sk, const std::string& name);
// Its ifindex; throws "<name>: no such network device".
int ifindex(Socket& sk, const std::string& name);
// Sets IFF_UP on the link.
void set_up(Socket& sk, const std::string& name);

}  // namespace vsrv::isolation::nl
