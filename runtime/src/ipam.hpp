// Address allocation for servers: one entry per address in use,
// <root>/.ipam/<address>, a symlink to the owner's id (symlink(2) fails when
// the name exists), so an address is never handed out twice. A cursor per
// subnet makes `auto` O(1): the next offset is tried first, no directory is
// ever scanned.
//
// With a journal (a file in the server's state dir), each address is written
// there before it is claimed, so a create killed between claiming and
// recording its claims in state.json leaves them findable: teardown releases
// what the journal names and the server holds.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "vsrv/isolation/network.hpp"

namespace vsrv::runtime {

class Ipam {
 public:
  explicit Ipam(const std::string& root, std::string journal = {});

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
  // The keys a journal names (some perhaps never claimed); none without it.
  static std::vector<std::string> journaled(const std::string& journal);

 private:
  bool try_claim(const std::string& key, const std::string& id);
  void write_journal(const std::string& candidate);
  std::optional<std::string> owner(const std::string& key) const;
  std::string dir_;
  std::string journal_;
  std::string claimed_;  // the journal's lines for the addresses claimed so far
};

}  // namespace vsrv::runtime
