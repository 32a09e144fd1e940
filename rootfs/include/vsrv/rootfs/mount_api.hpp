// Thin wrappers over the new mount API (fsopen/fsconfig/fsmount, open_tree,
// move_mount, mount_setattr). Every mount is made detached and then attached
// onto an fd we resolved ourselves, so no path is looked up a second time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vsrv/base/fd.hpp"
#include "vsrv/rootfs/mount_options.hpp"

namespace vsrv::rootfs {

// A new filesystem instance, configured and mounted detached with the given
// MOUNT_ATTR_* flags. Errors carry the kernel's own message when it gave one:
// "<what>: tmpfs: Bad value for 'size': Invalid argument".
UniqueFd new_filesystem(const std::string& type, const std::string& source,
                        const std::vector<MountOptions::Param>& params, uint64_t attrs,
                        const std::string& what);

// open_tree(OPEN_TREE_CLONE): a detached copy of the mount at dfd/path
// (path "" means dfd itself), with its submounts when recursive.
UniqueFd clone_tree(int dfd, const std::string& path, bool recursive, const std::string& what);

// mount_setattr on the mount at fd; -1/errno style result for callers that retry.
int set_attrs(int fd, uint64_t set, uint64_t clr, uint64_t propagation, bool recursive);

// move_mount(mount_fd -> the exact place target_fd refers to).
void attach(int mount_fd, int target_fd, const std::string& what);

}  // namespace vsrv::rootfs
