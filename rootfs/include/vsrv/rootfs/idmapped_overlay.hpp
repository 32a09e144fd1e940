// The overlay of a server in its own user namespace, made by host root with
// its lower layers (the shared template) idmapped through that namespace:
// a file the template has as host uid N shows as uid N inside the server,
// though the template on disk is never chowned. The upper layer is a plain
// directory, so what the server writes belongs on the host to the ids its
// root and users map to.
#pragma once

#include "vsrv/base/fd.hpp"
#include "vsrv/rootfs/mount_tree.hpp"

namespace vsrv::rootfs {

// The overlay o as a detached mount (in no mount table), for the server's
// init to attach as its root (Plan::root_mount_fd). userns_fd: the init's
// /proc/PID/ns/user, its maps written. Needs CAP_SYS_ADMIN in the initial
// user namespace.
//
// Before 6.15 overlayfs takes its layers only from the mounter's own mount
// namespace, and an idmapped mount must be attached to be looked up: a
// short-lived child makes the overlay in a private mount namespace of its
// own (the idmapped lower layers and the server's disk attached there) and
// passes it back; that namespace and its mounts go when the child exits.
UniqueFd idmapped_overlay(const Overlay& o, int userns_fd);

}  // namespace vsrv::rootfs
