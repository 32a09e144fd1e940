// Internal to rootfs: the metadata of one node (owner, mode, xattrs, times),
// set on a name relative to its parent directory's fd without following a
// symlink. Shared by the archive import and the tree copy.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>

namespace vsrv::rootfs::detail {

// Owner, then mode (chown clears set-id bits), never through a symlink;
// a symlink's mode is left alone (Linux has none).
void set_owner_mode(int dir, const std::string& name, uid_t uid, gid_t gid, mode_t mode,
                    bool symlink, const std::string& what);

// One extended attribute. A filesystem that cannot hold it (ENOTSUP) is
// skipped; any other failure throws.
void set_xattr(int dir, const std::string& name, const std::string& key, const void* value,
               size_t size, const std::string& what);

// Every extended attribute of src_dir/name onto dst_dir/name.
void copy_xattrs(int src_dir, int dst_dir, const std::string& name, const std::string& what);

// atime and mtime (utimensat, not following a symlink).
void set_times(int dir, const std::string& name, const struct timespec times[2],
               const std::string& what);

}  // namespace vsrv::rootfs::detail
