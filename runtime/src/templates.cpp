#include "vsrv/runtime/templates.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/rootfs/template.hpp"
#include "vsrv/runtime/server.hpp"
#include "vsrv/runtime/spec_parser.hpp"

namespace vsrv::runtime {

namespace {

std::string templates_dir(const GlobalOptions& g) { return g.data + "/templates"; }

void validate_name(const std::string& name) {
  try {
    spec::validate_id(name);
  } catch (const Error&) {
    throw Error(ErrorKind::kUsage, "invalid template name \"" + name +
                                       "\": must match [A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
  }
}

// Bytes used below dir, each inode once, not crossing into other filesystems.
uint64_t disk_usage(int dirfd) {
  uint64_t total = 0;
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  DIR* d = dup >= 0 ? ::fdopendir(dup) : nullptr;
  if (!d) return 0;
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    struct stat st;
    if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
    total += static_cast<uint64_t>(st.st_blocks) * 512;
    if (S_ISDIR(st.st_mode)) {
      UniqueFd child(::openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (child) total += disk_usage(child.get());
    }
  }
  ::closedir(d);
  return total;
}

}  // namespace

std::string template_rootfs(const GlobalOptions& g, const std::string& name) {
  validate_name(name);
  return templates_dir(g) + "/" + name + "/rootfs";
}

void template_busybox(const GlobalOptions& g, const std::string& name) {
  validate_name(name);
  std::string dir = templates_dir(g) + "/" + name;
  make_dirs(templates_dir(g), 0755);
  if (::mkdir(dir.c_str(), 0755) < 0) {
    if (errno == EEXIST) throw Error(ErrorKind::kUsage, "template " + name + " exists already");
    throw SysError("mkdir " + dir);
  }
  try {
    rootfs::create_busybox_rootfs(dir + "/rootfs");
  } catch (...) {
    remove_tree(dir);
    throw;
  }
}

std::vector<TemplateInfo> template_list(const GlobalOptions& g) {
  std::vector<TemplateInfo> out;
  DIR* d = ::opendir(templates_dir(g).c_str());
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    TemplateInfo t;
    t.name = e->d_name;
    UniqueFd fd(::open((templates_dir(g) + "/" + t.name).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd) t.bytes = disk_usage(fd.get());
    out.push_back(std::move(t));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  for (const auto& s : list(g)) {
    for (auto& t : out)
      if (t.name == s.template_name) t.servers.push_back(s.id);
  }
  return out;
}

void template_remove(const GlobalOptions& g, const std::string& name) {
  validate_name(name);
  std::string dir = templates_dir(g) + "/" + name;
  struct stat st;
  if (::stat(dir.c_str(), &st) < 0) throw Error(ErrorKind::kUsage, "template " + name + " does not exist");
  for (const auto& s : list(g)) {
    if (s.template_name == name)
      throw Error(ErrorKind::kState, "template " + name + " is used by server " + s.id);
  }
  remove_tree(dir);
}

}  // namespace vsrv::runtime
