#include "vsrv/isolation/sysctl.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>

#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"

namespace vsrv::isolation {

namespace {

bool valid_component(const std::string& c, bool dots_allowed) {
  if (c.empty() || c == "." || c == "..") return false;
  for (char ch : c) {
    const bool ok = std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' ||
                    ch == ':' || ch == '@' || ch == '+' || (dots_allowed && ch == '.');
    if (!ok) return false;
  }
  return true;
}

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

void require_procfs(int fd, const std::string& what) {
  struct statfs fs;
  if (::fstatfs(fd, &fs) < 0) throw SysError(what);
  if (fs.f_type != PROC_SUPER_MAGIC) throw Error(what + ": not on procfs");
}

// openat2 confined below dir: no symlink, no magic link, no mount crossing.
UniqueFd open_beneath(int dir, const std::string& path, int flags) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC | O_NOFOLLOW);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  for (;;) {
    long fd = ::syscall(SYS_openat2, dir, path.c_str(), &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno != EAGAIN) return UniqueFd();
  }
}

// /proc/sys of a procfs instance nobody else can see or mount over.
UniqueFd private_proc_sys() {
  const std::string what = "sysctl: mount a private procfs";
  UniqueFd fs(::fsopen("proc", FSOPEN_CLOEXEC));
  if (!fs) throw SysError(what);
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) throw SysError(what);
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC,
                         MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
  if (!mnt) throw SysError(what);
  require_procfs(mnt.get(), what);
  UniqueFd sys = open_beneath(mnt.get(), "sys", O_PATH | O_DIRECTORY);
  if (!sys) throw SysError("sysctl: open /proc/sys");
  require_procfs(sys.get(), "sysctl: /proc/sys");
  return sys;
}

}  // namespace

std::vector<std::string> sysctl_components(std::string_view key) {
  const std::string k(key);
  const bool slashes = k.find('/') != std::string::npos;
  std::vector<std::string> parts = split(k, slashes ? '/' : '.');
  for (const auto& p : parts) {
    if (!valid_component(p, slashes)) return {};
  }
  return parts;
}

std::optional<NsType> sysctl_namespace(std::string_view key) {
  auto parts = sysctl_components(key);
  if (parts.size() < 2) return std::nullopt;
  if (parts[0] == "net") return NsType::kNetwork;
  if (parts[0] == "fs" && parts[1] == "mqueue" && parts.size() == 3) return NsType::kIpc;
  if (parts[0] != "kernel" || parts.size() != 2) return std::nullopt;
  const std::string& name = parts[1];
  if (name == "hostname" || name == "domainname") return NsType::kUts;
  if (starts_with(name, "shm") || starts_with(name, "msg") || name == "sem" ||
      name == "sem_next_id")
    return NsType::kIpc;
  return std::nullopt;
}

void apply_sysctls(const std::map<std::string, std::string>& sysctls) {
  if (sysctls.empty()) return;
  UniqueFd sys = private_proc_sys();
  for (const auto& [key, value] : sysctls) {
    const std::string what = "sysctl " + key;
    auto parts = sysctl_components(key);
    if (parts.empty()) throw Error(ErrorKind::kUsage, what + ": malformed key");
    std::string path;
    for (const auto& p : parts) path += (path.empty() ? "" : "/") + p;
    UniqueFd fd = open_beneath(sys.get(), path, O_WRONLY);
    if (!fd) throw SysError(what);
    require_procfs(fd.get(), what);
    // A sysctl takes its value in one write.
    ssize_t n;
    do {
      n = ::write(fd.get(), value.data(), value.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw SysError(what + " = " + value);
    if (static_cast<size_t>(n) != value.size()) throw Error(what + " = " + value + ": short write");
  }
}

}  // namespace vsrv::isolation
