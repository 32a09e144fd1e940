// Path resolution confined to a root: the kernel's openat2(RESOLVE_IN_ROOT)
// does the walking; creation happens on the parent fd it returned, by a
// single name, so nothing is ever looked up twice by path.
#include "vsrv/rootfs/safe_path.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"

namespace vsrv::rootfs {
namespace {

constexpr int kMaxSymlinks = 40;  // the kernel's own limit

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  for (auto& part : split(path, '/')) {
    if (!part.empty() && part != ".") out.push_back(std::move(part));
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i) {
    if (!out.empty()) out += '/';
    out += parts[i];
  }
  return out;
}

// Creates parts[i] in parent; returns 0, or errno.
int create_one(int parent, const std::string& name, bool file) {
  if (file) {
    int fd =
        ::openat(parent, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return errno;
    ::close(fd);
    return 0;
  }
  return ::mkdirat(parent, name.c_str(), 0755) < 0 ? errno : 0;
}

}  // namespace

std::string clean_path(const std::string& path) {
  std::vector<std::string> out;
  for (auto& part : components(path)) {
    if (part == "..") {
      if (!out.empty()) out.pop_back();
    } else {
      out.push_back(std::move(part));
    }
  }
  return join(out, 0, out.size());
}

UniqueFd open_in_root(int root, const std::string& path, int flags) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(O_PATH | O_CLOEXEC | flags);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const char* p = path.empty() ? "." : path.c_str();
  for (;;) {
    long fd = ::syscall(SYS_openat2, root, p, &how, sizeof(how));
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    // EAGAIN: a concurrent rename somewhere in the tree; the kernel asks us to retry.
    if (errno != EAGAIN) return UniqueFd();
  }
}

UniqueFd make_in_root(int root, const std::string& start, NodeKind kind, const std::string& what) {
  std::string path = start;
  int symlinks = 0;
  for (;;) {
    UniqueFd fd = open_in_root(root, path);
    if (fd) return fd;
    if (errno != ENOENT) throw SysError(what);

    // Find the deepest existing ancestor.
    auto parts = components(path);
    if (parts.empty()) throw SysError(what, ENOENT);
    size_t i = parts.size() - 1;
    UniqueFd parent;
    for (;;) {
      parent = open_in_root(root, join(parts, 0, i));
      if (parent) break;
      if (errno != ENOENT || i == 0) throw SysError(what);
      --i;
    }

    // Create parts[i..]; a freshly made directory is empty, so the rest can
    // be made inside it directly, until a "." or ".." needs the kernel again.
    bool rewalk = false;
    for (; i < parts.size(); ++i) {
      const std::string& name = parts[i];
      if (name == "..") {
        rewalk = true;
        break;
      }
      bool last = i + 1 == parts.size();
      int err = create_one(parent.get(), name, last && kind == NodeKind::kFile);
      if (err == EEXIST) {
        // A dangling symlink (or a racing creator): follow it inside the root.
        char target[4096];
        ssize_t n = ::readlinkat(parent.get(), name.c_str(), target, sizeof(target) - 1);
        if (n < 0) {
          if (errno == EINVAL) {  // not a symlink: somebody created it meanwhile
            rewalk = true;
            break;
          }
          throw SysError(what);
        }
        if (++symlinks > kMaxSymlinks) throw SysError(what, ELOOP);
        target[n] = '\0';
        std::string rest = join(parts, i + 1, parts.size());
        std::string base = target[0] == '/' ? std::string() : join(parts, 0, i);
        path = base + "/" + target + "/" + rest;
        rewalk = true;
        break;
      }
      if (err != 0) throw SysError(what, err);
      if (last) break;
      int next =
          ::openat(parent.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
      if (next < 0) throw SysError(what);
      parent.reset(next);
    }
    if (!rewalk) {
      fd = open_in_root(root, path);
      if (fd) return fd;
      throw SysError(what);
    }
  }
}

}  // namespace vsrv::rootfs
