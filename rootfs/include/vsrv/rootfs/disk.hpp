// A server's own size-limited disk: an ext4 filesystem in a sparse image
// file, attached to a loop device and mounted detached. The server's overlay
// upper and work dirs live on it, so a full disk is ENOSPC inside the server
// and nothing outside it. Formatting is done in-process with libext2fs (about
// a millisecond: only metadata is written; the inode tables of a sparse file
// are zero already), no mkfs or mount binary is run.
#pragma once

#include <cstdint>
#include <string>

#include "vsrv/base/fd.hpp"

namespace vsrv::rootfs {

// Creates path (which must not exist) as a sparse file of `bytes` holding an
// empty ext4 filesystem: 4 KiB blocks, a journal of at most 1/64 of the
// disk, no blocks reserved for root (the server's root sees the whole size).
// Throws vsrv::Error; on failure the file is removed.
void create_disk_image(const std::string& path, uint64_t bytes);

// Attaches the image to a free loop device (autoclear: the device goes away
// with the last reference to the filesystem) and mounts it detached
// (nodev, nosuid, discard: blocks freed inside are given back to the host).
// Returns the mount's fd; the filesystem lives as long as that fd or an
// attached copy of it does.
UniqueFd mount_disk_image(const std::string& path);

}  // namespace vsrv::rootfs
