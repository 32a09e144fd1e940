// Server templates: shared read-only root filesystems under DATA/templates/NAME/rootfs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace vsrv::rootfs {

// Progress of a long template operation: done units of total (0: unknown).
using Progress = std::function<void(uint64_t done, uint64_t total)>;

// Unpacks a tar archive (plain, gzip, xz, zstd or bzip2; told apart by
// content) into dir, which must not exist yet. Every entry lands inside dir,
// whatever its name: absolute names are taken relative to dir, ".." stops at
// dir, and parents are resolved with dir as "/" (openat2 RESOLVE_IN_ROOT), so
// a symlink made by an earlier entry never leads a later one outside; an
// existing node is replaced, never written through. Hard links must name an
// entry inside dir. Numeric owners, modes, times, xattrs (file capabilities
// included), device nodes and fifos are kept. progress gets compressed bytes
// read of the archive's size. On failure dir is removed.
void import_archive(const std::string& archive, const std::string& dir, const Progress& progress);

// Copies the tree at src into dir (which must not exist yet) with owners,
// modes, times, xattrs, hard links, symlinks (never followed) and device
// nodes; mount points below src are copied as empty directories (like
// cp -ax). progress gets bytes copied (total unknown). On failure dir is
// removed.
void copy_directory(const std::string& src, const std::string& dir, const Progress& progress);

// Builds a busybox rootfs in dir (which must not exist yet) from the host's
// busybox-static binary (/bin/busybox): applet links, /etc/passwd, group,
// hosts, and the usual empty directories. Installs Debian's busybox-static
// with apt-get when /bin/busybox is missing or not static.
void create_busybox_rootfs(const std::string& dir);

}  // namespace vsrv::rootfs
