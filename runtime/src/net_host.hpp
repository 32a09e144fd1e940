// What servers share on the host: the bridge (with the gateway addresses on
// it) and the nftables table inet vsrv. vsrv makes them on demand and
// removes what it made once no server uses it, never anything it did not
// make:
//
//  - a lock, <root>/.net/lock: held shared while a create makes or uses them
//    (ensures the bridge and attaches its veth to it; creates the table and
//    adds its forwards), exclusive while a teardown checks whether they are
//    still used and removes them. A create about to use the bridge or table
//    never sees it go; concurrent creates do not wait for each other.
//  - ownership: the table carries vsrv's comment, set in the batch that
//    creates it. The bridge, and each address vsrv added to a bridge, is
//    recorded in <root>/.net/bridge-<name> (appended under the shared lock)
//    with the network namespace's inode and the bridge's ifindex: a bridge
//    someone else made, or one deleted and made again since, is not vsrv's.
//  - in use: the bridge has a port (a filtered netlink dump: the kernel
//    sends only the bridge's ports), the table holds a forward.
#pragma once

#include <string>

#include "vsrv/base/fd.hpp"
#include "vsrv/isolation/network.hpp"

namespace vsrv::runtime {

class HostNetLock {
 public:
  HostNetLock(const std::string& root, bool exclusive);

 private:
  UniqueFd fd_;
};

// ensure_bridge, recording what it made; call under a shared HostNetLock.
void ensure_bridge_recorded(const std::string& root, const isolation::Bridge& bridge);

// Takes the lock exclusively and removes the bridge (or, on a bridge vsrv
// did not make, the addresses vsrv added) when it has no port left, and
// the table when it forwards no port. bridge empty: leave bridges alone;
// table false: leave the table alone.
void release_unused(const std::string& root, const std::string& bridge, bool table);

}  // namespace vsrv::runtime
