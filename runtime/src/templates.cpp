#include "vsrv/runtime/templates.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <set>
#include <utility>

#include "saved_server.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/rootfs/template.hpp"
#include "vsrv/runtime/spec_parser.hpp"

namespace vsrv::runtime {

namespace {

std::string templates_dir(const GlobalOptions& g) {
  return g.data + "/templates";
}

void validate_name(const std::string& name) {
  try {
    spec::validate_id(name);
  } catch (const Error&) {
    throw Error(ErrorKind::kUsage, "invalid template name \"" + name +
                                       "\": must match [A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
  }
}

std::vector<std::string> entries(const std::string& dir) {
  return vsrv::list_dir(dir);
}

// Leftovers of builds and removals whose vsrv died (".NAME.tmp-PID",
// ".NAME.rm-PID" with PID gone).
void remove_stale(const GlobalOptions& g) {
  for (const auto& n : entries(templates_dir(g))) {
    if (n[0] != '.') continue;
    auto dash = n.rfind('-');
    if (dash == std::string::npos) continue;
    pid_t pid = 0;
    try {
      pid = std::stoi(n.substr(dash + 1));
    } catch (...) {
      continue;
    }
    if (pid > 0 && ::kill(pid, 0) < 0 && errno == ESRCH) remove_tree(templates_dir(g) + "/" + n);
  }
}

// Bytes used below dirfd, each inode once (hard links), not crossing into
// other filesystems.
void disk_usage(int dirfd, dev_t dev, std::set<std::pair<dev_t, ino_t>>& seen, uint64_t& total) {
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  DIR* d = dup >= 0 ? ::fdopendir(dup) : nullptr;
  if (!d) {
    if (dup >= 0) ::close(dup);
    return;
  }
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    struct stat st;
    if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev) continue;
    if (st.st_nlink > 1 && !S_ISDIR(st.st_mode) && !seen.insert({st.st_dev, st.st_ino}).second) {
      continue;
    }
    total += static_cast<uint64_t>(st.st_blocks) * 512;
    if (S_ISDIR(st.st_mode)) {
      UniqueFd child(::openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (child) disk_usage(child.get(), dev, seen, total);
    }
  }
  ::closedir(d);
}

// Builds a template: fill(rootfs) writes DATA/templates/.NAME.tmp-PID/rootfs,
// which then becomes DATA/templates/NAME in one rename.
template <typename Fill>
void create_template(const GlobalOptions& g, const std::string& name, Fill fill) {
  validate_name(name);
  make_dirs(templates_dir(g), 0755);
  remove_stale(g);
  const std::string dir = templates_dir(g) + "/" + name;
  struct stat st;
  if (::lstat(dir.c_str(), &st) == 0)
    throw Error(ErrorKind::kUsage, "template " + name + " exists already");
  const std::string tmp = templates_dir(g) + "/." + name + ".tmp-" + std::to_string(::getpid());
  if (::mkdir(tmp.c_str(), 0755) < 0) throw SysError("mkdir " + tmp);
  try {
    fill(tmp + "/rootfs");
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dir.c_str(), RENAME_NOREPLACE) < 0) {
      if (errno == EEXIST) throw Error(ErrorKind::kUsage, "template " + name + " exists already");
      throw SysError("rename " + tmp + " to " + dir);
    }
  } catch (...) {
    try {
      remove_tree(tmp);
    } catch (...) {
    }
    throw;
  }
}

}  // namespace

std::string template_rootfs(const GlobalOptions& g, const std::string& name) {
  validate_name(name);
  return templates_dir(g) + "/" + name + "/rootfs";
}

void template_busybox(const GlobalOptions& g, const std::string& name) {
  create_template(g, name,
                  [](const std::string& rootfs) { rootfs::create_busybox_rootfs(rootfs); });
}

void template_import(const GlobalOptions& g, const std::string& name, const std::string& archive,
                     const TemplateProgress& progress) {
  struct stat st;
  if (::stat(archive.c_str(), &st) < 0) {
    throw Error(ErrorKind::kUsage, SysError("template import " + archive).what());
  }
  create_template(g, name, [&](const std::string& rootfs) {
    rootfs::import_archive(archive, rootfs, progress);
  });
}

void template_add(const GlobalOptions& g, const std::string& name, const std::string& dir,
                  const TemplateProgress& progress) {
  struct stat st;
  if (::stat(dir.c_str(), &st) < 0 || !S_ISDIR(st.st_mode)) {
    throw Error(ErrorKind::kUsage, "template add --dir " + dir + ": no such directory");
  }
  create_template(
      g, name, [&](const std::string& rootfs) { rootfs::copy_directory(dir, rootfs, progress); });
}

std::vector<TemplateInfo> template_list(const GlobalOptions& g) {
  std::vector<TemplateInfo> out;
  for (const auto& n : entries(templates_dir(g))) {
    if (n[0] == '.') continue;
    TemplateInfo t;
    t.name = n;
    UniqueFd fd(::open((templates_dir(g) + "/" + n).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    struct stat st;
    if (fd && ::fstat(fd.get(), &st) == 0) {
      t.bytes = static_cast<uint64_t>(st.st_blocks) * 512;
      std::set<std::pair<dev_t, ino_t>> seen;
      disk_usage(fd.get(), st.st_dev, seen, t.bytes);
    }
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  for (const auto& s : saved_servers(g)) {
    for (auto& t : out)
      if (t.name == s.template_name) t.servers.push_back(s.id);
  }
  return out;
}

UniqueFd use_template(const GlobalOptions& g, const std::string& name) {
  validate_name(name);
  const std::string dir = templates_dir(g) + "/" + name;
  auto missing = [&] {
    return Error(ErrorKind::kUsage, "template " + name +
                                        " does not exist (create it with: vsrv template busybox " +
                                        name + ")");
  };
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR) throw missing();
    throw SysError("open template " + name);
  }
  while (::flock(fd.get(), LOCK_SH) < 0) {
    if (errno != EINTR) throw SysError("lock template " + name);
  }
  // `template rm` renames it away before it lets go of its lock.
  struct stat held, now, root;
  if (::fstat(fd.get(), &held) < 0 || ::stat(dir.c_str(), &now) < 0 || held.st_ino != now.st_ino ||
      held.st_dev != now.st_dev || ::fstatat(fd.get(), "rootfs", &root, 0) < 0 ||
      !S_ISDIR(root.st_mode)) {
    throw missing();
  }
  return fd;
}

void template_remove(const GlobalOptions& g, const std::string& name) {
  validate_name(name);
  const std::string dir = templates_dir(g) + "/" + name;
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR)
      throw Error(ErrorKind::kUsage, "template " + name + " does not exist");
    throw SysError("open template " + name);
  }
  while (::flock(fd.get(), LOCK_EX) < 0) {
    if (errno != EINTR) throw SysError("lock template " + name);
  }
  std::vector<std::string> users;
  for (const auto& s : saved_servers(g))
    if (s.template_name == name) users.push_back(s.id);
  if (!users.empty()) {
    std::string list;
    for (size_t i = 0; i < users.size() && i < 5; ++i) list += (i ? ", " : "") + users[i];
    if (users.size() > 5) list += " and " + std::to_string(users.size() - 5) + " more";
    throw Error(ErrorKind::kState,
                "template " + name + " is used by server" + (users.size() > 1 ? "s " : " ") + list);
  }
  const std::string gone = templates_dir(g) + "/." + name + ".rm-" + std::to_string(::getpid());
  if (::rename(dir.c_str(), gone.c_str()) < 0) throw SysError("remove template " + name);
  fd.reset();
  remove_tree(gone);
}

}  // namespace vsrv::runtime
