// Resolving and creating paths inside a root directory so that no symlink,
// ".." or magic link can lead outside of it.
#pragma once

#include <string>

#include "vsrv/base/fd.hpp"

namespace vsrv::rootfs {

// Lexically cleans an absolute (or root-relative) path into a relative one
// without ".", ".." or repeated slashes: "/a//b/../c/" -> "a/c"; "/" -> "".
// ".." never climbs above the root.
std::string clean_path(const std::string& path);

// openat2(root, path, O_PATH|O_CLOEXEC|flags, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS).
// Symlinks are followed as if root were "/". Returns an invalid fd and sets
// errno on failure.
UniqueFd open_in_root(int root, const std::string& path, int flags = 0);

enum class NodeKind { kDirectory, kFile };

// Like open_in_root, but creates what is missing, one component at a time
// on the parent fd the kernel resolved: directories, and for kFile an empty
// regular file as the last component. A dangling symlink is followed and its
// target created inside the root. Throws SysError("what: ...").
UniqueFd make_in_root(int root, const std::string& path, NodeKind kind, const std::string& what);

}  // namespace vsrv::rootfs
