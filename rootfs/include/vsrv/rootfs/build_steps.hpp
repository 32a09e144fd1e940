// The steps build() is made of, one file each (for tests and readability).
#pragma once

#include <string>
#include <vector>

#include "vsrv/base/fd.hpp"
#include "vsrv/rootfs/mount_tree.hpp"

namespace vsrv::rootfs {

// The server's disk (o.disk_fd, if any) attached onto o.disk_dir in the
// caller's mount namespace, for the overlay's upper and work dirs on it.
void attach_disk(const Overlay& o);
// The overlay filesystem of o, mounted detached; what names it in errors.
UniqueFd new_overlay(const Overlay& o, const std::string& what);

// Fills a fresh /dev tmpfs (dev is its root fd): null zero full random
// urandom tty (mknod, or a bind of the host node where mknod is not
// permitted, e.g. in a user namespace), the fd/stdio/ptmx links, pts and shm.
void populate_dev(int dev);

// Copies the contents of directory src into directory dst (tmpcopyup):
// files, directories, symlinks, hard links and special files, with owners,
// modes, xattrs and times; mount points below src are left empty.
void copy_tree(int src, int dst, const std::string& what);

// Makes the directory root refers to the process's root: pivot_root, or
// MS_MOVE + chroot when no_pivot or when pivot_root is impossible. cwd "/".
void enter_root(int root, bool no_pivot);

// After enter_root: masks (read-only empty tmpfs on directories, the
// verified /dev/null on files; missing paths skipped) and read-only binds.
void mask_paths(int root, const std::vector<std::string>& paths);
void readonly_paths(int root, const std::vector<std::string>& paths);

}  // namespace vsrv::rootfs
