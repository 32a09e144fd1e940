// Server templates: shared read-only root filesystems under DATA/templates/NAME/rootfs.
#pragma once

#include <string>

namespace vsrv::rootfs {

// Builds a busybox rootfs in dir (which must not exist yet) from the host's
// busybox-static binary (/bin/busybox): applet links, /etc/passwd, group,
// hosts, and the usual empty directories. Installs Debian's busybox-static
// with apt-get when /bin/busybox is missing or not static.
void create_busybox_rootfs(const std::string& dir);

}  // namespace vsrv::rootfs
