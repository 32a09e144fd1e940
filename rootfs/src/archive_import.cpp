// import_archive: a tar archive unpacked entry by entry, each created by one
// name on a parent directory the kernel resolved inside the target
// (RESOLVE_IN_ROOT), never by a path walked in user space.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <utility>
#include <vector>

#include "libarchive.hpp"
#include "node_attrs.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/rootfs/safe_path.hpp"
#include "vsrv/rootfs/template.hpp"

namespace vsrv::rootfs {
namespace {

const detail::LibArchive& la() {
  return detail::libarchive();
}

struct ArchiveFree {
  void operator()(struct archive* a) const { la().archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveFree>;

struct DirTimes {
  std::string rel;
  struct timespec times[2];
};

std::pair<std::string, std::string> split_last(const std::string& rel) {
  auto slash = rel.rfind('/');
  if (slash == std::string::npos) return {"", rel};
  return {rel.substr(0, slash), rel.substr(slash + 1)};
}

class Unpacker {
 public:
  Unpacker(const std::string& archive, int root, uint64_t size, const Progress& progress)
      : what_("import " + archive), root_(root), size_(size), progress_(progress) {}

  void run(int in) {
    ArchivePtr a(la().archive_read_new());
    if (!a) throw Error(what_ + ": out of memory");
    // Built-in decompressors only: ARCHIVE_WARN would mean running an
    // external program, which vsrv does not do.
    using Support = int (*)(struct archive*);
    const std::pair<Support, const char*> filters[] = {
        {la().archive_read_support_filter_gzip, "gzip"},
        {la().archive_read_support_filter_xz, "xz"},
        {la().archive_read_support_filter_zstd, "zstd"},
        {la().archive_read_support_filter_bzip2, "bzip2"}};
    for (const auto& [support, name] : filters) {
      if (support(a.get()) != ARCHIVE_OK) {
        throw Error(what_ + ": this libarchive has no built-in " + name + " support");
      }
    }
    la().archive_read_support_format_tar(a.get());
    la().archive_read_support_format_gnutar(a.get());
    if (la().archive_read_open_fd(a.get(), in, 128 * 1024) != ARCHIVE_OK) fail(a.get(), "");
    struct archive_entry* e;
    for (;;) {
      int r = la().archive_read_next_header(a.get(), &e);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN) fail(a.get(), "");
      entry(a.get(), e);
      report(a.get());
    }
    for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
      UniqueFd d = open_in_root(root_, it->rel, O_DIRECTORY | O_NOFOLLOW);
      if (!d) continue;  // replaced by a later entry
      detail::set_times(d.get(), ".", it->times, what_);
    }
    if (progress_) progress_(size_, size_);
  }

 private:
  [[noreturn]] void fail(struct archive* a, const std::string& entry) {
    const char* msg = la().archive_error_string(a);
    throw Error(ErrorKind::kUsage, what_ + (entry.empty() ? "" : ": " + entry) + ": " +
                                       (msg ? msg : "unreadable archive"));
  }

  void report(struct archive* a) {
    if (progress_) progress_(static_cast<uint64_t>(la().archive_filter_bytes(a, -1)), size_);
  }

  // Makes room for a new node called name in parent: an existing node is
  // removed (a directory only when empty), so nothing is written through it.
  // Returns true when name is a directory that may stay (dir over dir).
  bool clear(int parent, const std::string& name, bool want_dir, const std::string& entry) {
    struct stat st;
    if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT) return false;
      throw SysError(what_ + ": " + entry);
    }
    if (S_ISDIR(st.st_mode)) {
      if (want_dir) return true;
      if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) < 0) {
        throw SysError(what_ + ": " + entry + ": replace a directory");
      }
      return false;
    }
    if (::unlinkat(parent, name.c_str(), 0) < 0) throw SysError(what_ + ": " + entry);
    return false;
  }

  void write_data(struct archive* a, int parent, const std::string& name, struct archive_entry* e,
                  const std::string& entry) {
    UniqueFd fd(
        ::openat(parent, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) throw SysError(what_ + ": " + entry);
    const void* buf;
    size_t len;
    la_int64_t offset;
    int r;
    while ((r = la().archive_read_data_block(a, &buf, &len, &offset)) == ARCHIVE_OK) {
      const char* p = static_cast<const char*>(buf);
      while (len > 0) {
        ssize_t n = ::pwrite(fd.get(), p, len, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw SysError(what_ + ": write " + entry);
        p += n;
        offset += n;
        len -= static_cast<size_t>(n);
      }
      report(a);
    }
    if (r != ARCHIVE_EOF) fail(a, entry);
    // Sparse files end in a hole the data blocks do not cover.
    if (::ftruncate(fd.get(), static_cast<off_t>(la().archive_entry_size(e))) < 0) {
      throw SysError(what_ + ": " + entry);
    }
  }

  void hard_link(int parent, const std::string& name, const char* target,
                 const std::string& entry) {
    std::string rel = clean_path(target);
    if (rel.empty()) throw Error(ErrorKind::kUsage, what_ + ": " + entry + ": hard link to /");
    auto [tdir, tname] = split_last(rel);
    UniqueFd tparent = open_in_root(root_, tdir, O_DIRECTORY);
    if (!tparent) throw SysError(what_ + ": " + entry + ": hard link target " + target);
    // No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink itself.
    if (::linkat(tparent.get(), tname.c_str(), parent, name.c_str(), 0) < 0) {
      throw SysError(what_ + ": " + entry + ": hard link to " + target);
    }
  }

  void attributes(int parent, const std::string& name, struct archive_entry* e,
                  const std::string& rel, bool dir, bool symlink) {
    detail::set_owner_mode(parent, name, static_cast<uid_t>(la().archive_entry_uid(e)),
                           static_cast<gid_t>(la().archive_entry_gid(e)),
                           la().archive_entry_perm(e), symlink, what_);
    const char* key;
    const void* value;
    size_t size;
    la().archive_entry_xattr_reset(e);
    while (la().archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
      detail::set_xattr(parent, name, key, value, size, what_);
    }
    DirTimes t;
    t.rel = rel;
    t.times[1] = la().archive_entry_mtime_is_set(e)
                     ? timespec{la().archive_entry_mtime(e), la().archive_entry_mtime_nsec(e)}
                     : timespec{0, UTIME_OMIT};
    t.times[0] = la().archive_entry_atime_is_set(e)
                     ? timespec{la().archive_entry_atime(e), la().archive_entry_atime_nsec(e)}
                     : t.times[1];
    if (dir) {
      dir_times_.push_back(t);  // set last: creating children changes them
    } else {
      detail::set_times(parent, name, t.times, what_);
    }
  }

  void entry(struct archive* a, struct archive_entry* e) {
    const char* raw = la().archive_entry_pathname(e);
    const std::string entry = raw ? raw : "";
    const std::string rel = clean_path(entry);
    const mode_t type = la().archive_entry_filetype(e);
    const char* link = la().archive_entry_hardlink(e);
    if (rel.empty()) {  // "./": the root itself
      if (type != AE_IFDIR || link) {
        throw Error(ErrorKind::kUsage, what_ + ": " + entry + ": only a directory can be the root");
      }
      attributes(root_, ".", e, rel, true, false);
      return;
    }
    auto [dir, name] = split_last(rel);
    UniqueFd parent = make_in_root(root_, dir, NodeKind::kDirectory, what_ + ": " + entry);
    int p = parent.get();
    bool keep_dir = clear(p, name, type == AE_IFDIR && !link, entry);
    if (link) return hard_link(p, name, link, entry);
    switch (type) {
      case AE_IFDIR:
        if (!keep_dir && ::mkdirat(p, name.c_str(), 0700) < 0) throw SysError(what_ + ": " + entry);
        break;
      case AE_IFREG:
        write_data(a, p, name, e, entry);
        break;
      case AE_IFLNK: {
        const char* target = la().archive_entry_symlink(e);
        if (!target || ::symlinkat(target, p, name.c_str()) < 0) {
          throw SysError(what_ + ": " + entry);
        }
        break;
      }
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO:
        if (::mknodat(p, name.c_str(), type | 0600, la().archive_entry_rdev(e)) < 0) {
          throw SysError(what_ + ": " + entry);
        }
        break;
      case AE_IFSOCK:
        return;  // a socket is recreated by whoever listens on it
      default:
        throw Error(ErrorKind::kUsage, what_ + ": " + entry + ": unknown entry type");
    }
    attributes(p, name, e, rel, type == AE_IFDIR, type == AE_IFLNK);
  }

  std::string what_;
  int root_;
  uint64_t size_;
  const Progress& progress_;
  std::vector<DirTimes> dir_times_;
};

}  // namespace

void import_archive(const std::string& archive, const std::string& dir, const Progress& progress) {
  UniqueFd in(::open(archive.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) {
    int err = errno;
    throw Error(err == ENOENT ? ErrorKind::kUsage : ErrorKind::kSystem,
                SysError("import " + archive, err).what());
  }
  struct stat st;
  if (::fstat(in.get(), &st) < 0) throw SysError("import " + archive);
  if (S_ISDIR(st.st_mode)) {
    throw Error(ErrorKind::kUsage, "import " + archive + ": a directory (use template add --dir)");
  }
  if (::mkdir(dir.c_str(), 0755) < 0) throw SysError("import " + archive + ": mkdir " + dir);
  try {
    UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!root) throw SysError("import " + archive + ": open " + dir);
    Unpacker(archive, root.get(), static_cast<uint64_t>(st.st_size), progress).run(in.get());
  } catch (...) {
    try {
      remove_tree(dir);
    } catch (...) {
    }
    throw;
  }
}

}  // namespace vsrv::rootfs
