// Address allocation for servers: one file per address in use,
// <root>/.ipam/<address>, created with O_EXCL and holding the owner's id, so
// an address is never handed out twice. A cursor per subnet makes `auto`
// O(1): the next offset is tried first, no directory is ever scanned.
#pragma once

#include <string>

#include "vsrv/isolation/network.hpp"

namespace vsrv::runtime {

class Ipam {
 public:
  explicit Ipam(const std::string& root);

  // The next free address of subnet for id, skipping the network address,
  // the gateway (offset 1) and the last address. kState when full.
  isolation::Cidr allocate(const isolation::Cidr& subnet, const std::string& id);
  // Claims a given address for id; kState when another server holds it.
  void claim(const isolation::Cidr& address, const std::string& id);
  // Whether id holds the address named by key.
  bool held_by(const std::string& key, const std::string& id) const;
  // Releases the address if id holds it.
  void release(const std::string& key, const std::string& id);

  static std::string key(const isolation::Cidr& address) { return address.address(); }

 private:
  bool try_claim(const std::string& key, const std::string& id);
  std::string dir_;
};

}  // namespace vsrv::runtime
