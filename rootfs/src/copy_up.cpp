// tmpcopyup: what a directory held before a tmpfs covered it is copied in.
#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/rootfs/build_steps.hpp"

namespace vsrv::rootfs {
namespace {

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

void copy_file(int src, int dst, const std::string& name, const struct stat& st,
               const std::string& what) {
  UniqueFd in(::openat(src, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!in) throw SysError(what + ": open " + name);
  UniqueFd out(::openat(dst, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                        st.st_mode & 07777));
  if (!out) throw SysError(what + ": create " + name);
  for (off_t left = st.st_size; left > 0;) {
    ssize_t n = ::sendfile(out.get(), in.get(), nullptr, static_cast<size_t>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError(what + ": copy " + name);
    if (n == 0) break;  // the file shrank meanwhile
    left -= n;
  }
}

void copy_dir(int src, int dst, const std::string& what, int depth) {
  if (depth > 256) throw SysError(what, ELOOP);
  int listing = ::openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (listing < 0) throw SysError(what);
  std::unique_ptr<DIR, DirCloser> dir(::fdopendir(listing));
  if (!dir) {
    ::close(listing);
    throw SysError(what);
  }
  while (struct dirent* e = ::readdir(dir.get())) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (::fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) throw SysError(what);
    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(dst, name.c_str(), 0700) < 0) throw SysError(what + ": mkdir " + name);
      UniqueFd s(::openat(src, name.c_str(), O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC));
      UniqueFd d(::openat(dst, name.c_str(), O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC));
      if (!s || !d) throw SysError(what + ": open " + name);
      copy_dir(s.get(), d.get(), what, depth + 1);
    } else if (S_ISREG(st.st_mode)) {
      copy_file(src, dst, name, st, what);
    } else if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = ::readlinkat(src, name.c_str(), target, sizeof(target) - 1);
      if (n < 0) throw SysError(what + ": readlink " + name);
      target[n] = '\0';
      if (::symlinkat(target, dst, name.c_str()) < 0) throw SysError(what + ": symlink " + name);
    } else {
      if (::mknodat(dst, name.c_str(), st.st_mode, st.st_rdev) < 0) {
        throw SysError(what + ": mknod " + name);
      }
    }
    if (::fchownat(dst, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0) {
      throw SysError(what + ": chown " + name);
    }
    if (!S_ISLNK(st.st_mode) && ::fchmodat(dst, name.c_str(), st.st_mode & 07777, 0) < 0) {
      throw SysError(what + ": chmod " + name);
    }
  }
}

}  // namespace

void copy_tree(int src, int dst, const std::string& what) {
  copy_dir(src, dst, what, 0);
}

}  // namespace vsrv::rootfs
