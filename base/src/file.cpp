#include "vsrv/base/file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"

namespace vsrv {

void write_all(int fd, const void* data, size_t len) {
  auto* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = ::write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SysError("write");
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
}

size_t read_full(int fd, void* data, size_t len) {
  auto* p = static_cast<char*>(data);
  size_t got = 0;
  while (got < len) {
    ssize_t n = ::read(fd, p + got, len - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SysError("read");
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return got;
}

static std::string read_fd(int fd, const std::string& path) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SysError("read " + path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string read_file_at(int dirfd, const std::string& path) {
  UniqueFd fd(::openat(dirfd, path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw SysError("open " + path);
  return read_fd(fd.get(), path);
}

std::string read_file(const std::string& path) {
  return read_file_at(AT_FDCWD, path);
}

std::optional<std::string> try_read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    throw SysError("open " + path);
  }
  return read_fd(fd.get(), path);
}

void write_file_at(int dirfd, const std::string& path, const std::string& data) {
  UniqueFd fd(::openat(dirfd, path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) throw SysError("open " + path);
  ssize_t n;
  do {
    n = ::write(fd.get(), data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw SysError("write " + path);
  if (static_cast<size_t>(n) != data.size()) throw Error("write " + path + ": short write");
}

void write_file(const std::string& path, const std::string& data) {
  write_file_at(AT_FDCWD, path, data);
}

void write_file_atomic(const std::string& path, const std::string& data, mode_t mode, bool sync) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmp = dir + "/." + name + ".tmp";
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd) throw SysError("create " + tmp);
    write_all(fd.get(), data.data(), data.size());
    if (sync && ::fsync(fd.get()) < 0) throw SysError("fsync " + tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) < 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw SysError("rename " + path, err);
  }
  if (!sync) return;
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd) ::fsync(dfd.get());
}

void make_dirs(const std::string& path, mode_t mode) {
  if (path.empty()) return;
  std::string cur;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || (path[i] == '/' && i > 0)) {
      cur = path.substr(0, i);
      if (::mkdir(cur.c_str(), mode) < 0 && errno != EEXIST) throw SysError("mkdir " + cur);
    }
  }
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) throw SysError("stat " + path);
  if (!S_ISDIR(st.st_mode)) throw Error("mkdir " + path + ": not a directory");
}

static void remove_children(int dirfd, dev_t dev, const std::string& path) {
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) throw SysError("dup");
  DIR* d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    throw SysError("opendir " + path);
  }
  struct Closer {
    DIR* d;
    ~Closer() { ::closedir(d); }
  } closer{d};
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT) continue;
      throw SysError("stat " + path + "/" + name);
    }
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev) throw Error("remove " + path + "/" + name + ": is a mount point");
      UniqueFd child(
          ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!child) throw SysError("open " + path + "/" + name);
      remove_children(child.get(), dev, path + "/" + name);
      if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
        throw SysError("rmdir " + path + "/" + name);
    } else if (::unlinkat(dirfd, name.c_str(), 0) < 0 && errno != ENOENT) {
      throw SysError("unlink " + path + "/" + name);
    }
  }
}

std::vector<std::string> list_dir(const std::string& path) {
  std::vector<std::string> out;
  DIR* d = ::opendir(path.c_str());
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(d);
  return out;
}

void remove_tree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) < 0) {
    if (errno == ENOENT) return;
    throw SysError("stat " + path);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlink(path.c_str()) < 0 && errno != ENOENT) throw SysError("unlink " + path);
    return;
  }
  {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) throw SysError("open " + path);
    remove_children(fd.get(), st.st_dev, path);
  }
  if (::rmdir(path.c_str()) < 0 && errno != ENOENT) throw SysError("rmdir " + path);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace vsrv
