// Copying a directory tree by fds: tmpcopyup (what a directory held before a
// tmpfs covered it is copied in) and `template add --dir`.
#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <memory>
#include <utility>

#include "node_attrs.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/rootfs/build_steps.hpp"
#include "vsrv/rootfs/template.hpp"

namespace vsrv::rootfs {
namespace {

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

struct Copy {
  int dst_root;
  dev_t src_dev;  // mount points below the source are not entered
  dev_t dst_dev;  // the destination itself is never copied into itself
  ino_t dst_ino;
  std::string what;
  const Progress* progress;
  uint64_t bytes = 0;
  std::map<std::pair<dev_t, ino_t>, std::string> links;  // first copy of each hard-linked file
};

std::string join_rel(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

void copy_file(Copy& c, int src, int dst, const std::string& name, const struct stat& st) {
  UniqueFd in(::openat(src, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!in) throw SysError(c.what + ": open " + name);
  UniqueFd out(::openat(dst, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                        st.st_mode & 07777));
  if (!out) throw SysError(c.what + ": create " + name);
  for (off_t left = st.st_size; left > 0;) {
    ssize_t n = ::sendfile(out.get(), in.get(), nullptr, static_cast<size_t>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError(c.what + ": copy " + name);
    if (n == 0) break;  // the file shrank meanwhile
    left -= n;
    c.bytes += static_cast<uint64_t>(n);
    if (c.progress && *c.progress) (*c.progress)(c.bytes, 0);
  }
}

void copy_attrs(Copy& c, int src, int dst, const std::string& name, const struct stat& st) {
  detail::set_owner_mode(dst, name, st.st_uid, st.st_gid, st.st_mode, S_ISLNK(st.st_mode), c.what);
  detail::copy_xattrs(src, dst, name, c.what);
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  detail::set_times(dst, name, times, c.what);
}

void copy_dir(Copy& c, int src, int dst, const std::string& rel, int depth) {
  if (depth > 256) throw SysError(c.what, ELOOP);
  int listing = ::openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (listing < 0) throw SysError(c.what);
  std::unique_ptr<DIR, DirCloser> dir(::fdopendir(listing));
  if (!dir) {
    ::close(listing);
    throw SysError(c.what);
  }
  while (struct dirent* e = ::readdir(dir.get())) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (::fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) throw SysError(c.what);
    std::string child = join_rel(rel, name);
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev == c.dst_dev && st.st_ino == c.dst_ino) continue;  // the copy itself
      if (::mkdirat(dst, name.c_str(), 0700) < 0) throw SysError(c.what + ": mkdir " + name);
      if (st.st_dev == c.src_dev) {
        UniqueFd s(::openat(src, name.c_str(), O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC));
        UniqueFd d(::openat(dst, name.c_str(), O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC));
        if (!s || !d) throw SysError(c.what + ": open " + name);
        copy_dir(c, s.get(), d.get(), child, depth + 1);
      }
      copy_attrs(c, src, dst, name, st);  // after the children: their creation moves mtime
      continue;
    }
    if (st.st_nlink > 1) {
      auto [it, first] = c.links.emplace(std::make_pair(st.st_dev, st.st_ino), child);
      if (!first) {
        if (::linkat(c.dst_root, it->second.c_str(), dst, name.c_str(), 0) < 0) {
          throw SysError(c.what + ": link " + child + " to " + it->second);
        }
        continue;
      }
    }
    if (S_ISREG(st.st_mode)) {
      copy_file(c, src, dst, name, st);
    } else if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = ::readlinkat(src, name.c_str(), target, sizeof(target) - 1);
      if (n < 0) throw SysError(c.what + ": readlink " + name);
      target[n] = '\0';
      if (::symlinkat(target, dst, name.c_str()) < 0) throw SysError(c.what + ": symlink " + name);
    } else if (::mknodat(dst, name.c_str(), st.st_mode, st.st_rdev) < 0) {
      throw SysError(c.what + ": mknod " + name);
    }
    copy_attrs(c, src, dst, name, st);
  }
}

void copy_tree_with(int src, int dst, const std::string& what, const Progress* progress) {
  struct stat s, d;
  if (::fstat(src, &s) < 0 || ::fstat(dst, &d) < 0) throw SysError(what);
  Copy c{dst, s.st_dev, d.st_dev, d.st_ino, what, progress, 0, {}};
  copy_dir(c, src, dst, "", 0);
}

}  // namespace

void copy_tree(int src, int dst, const std::string& what) {
  copy_tree_with(src, dst, what, nullptr);
}

void copy_directory(const std::string& src, const std::string& dir, const Progress& progress) {
  const std::string what = "copy " + src;
  UniqueFd from(::open(src.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!from) {
    int err = errno;
    throw Error(err == ENOENT || err == ENOTDIR ? ErrorKind::kUsage : ErrorKind::kSystem,
                SysError(what, err).what());
  }
  if (::mkdir(dir.c_str(), 0755) < 0) throw SysError(what + ": mkdir " + dir);
  try {
    UniqueFd to(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!to) throw SysError(what + ": open " + dir);
    copy_tree_with(from.get(), to.get(), what, &progress);
    struct stat st;
    if (::fstat(from.get(), &st) < 0) throw SysError(what);
    detail::set_owner_mode(to.get(), ".", st.st_uid, st.st_gid, st.st_mode, false, what);
    detail::copy_xattrs(from.get(), to.get(), ".", what);
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    detail::set_times(to.get(), ".", times, what);
  } catch (...) {
    try {
      remove_tree(dir);
    } catch (...) {
    }
    throw;
  }
}

}  // namespace vsrv::rootfs
