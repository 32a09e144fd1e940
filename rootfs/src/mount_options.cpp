// OCI mount options -> mount attributes, propagation and fsconfig parameters.
//
// Accepted (mount_option_known): the mount(8) flag words below, the
// propagation words, bind/rbind, remount, tmpcopyup, the recursive flag words
// rro/rnosuid/rnodev/rnoexec, every "key=value" data option (handed to the
// filesystem, which rejects what it does not know when the mount is made),
// and the bare data words in kBareDataOptions. idmap is not supported yet.
#include "vsrv/rootfs/mount_options.hpp"

#include <sys/mount.h>

#include <array>
#include <string_view>

#include "vsrv/base/error.hpp"
#include "vsrv/rootfs/mount_tree.hpp"

namespace vsrv::rootfs {
namespace {

struct AttrWord {
  std::string_view name;
  uint64_t attr;
  bool clear;
};

constexpr std::array<AttrWord, 12> kAttrWords{{
    {"ro", MOUNT_ATTR_RDONLY, false},
    {"rw", MOUNT_ATTR_RDONLY, true},
    {"nosuid", MOUNT_ATTR_NOSUID, false},
    {"suid", MOUNT_ATTR_NOSUID, true},
    {"nodev", MOUNT_ATTR_NODEV, false},
    {"dev", MOUNT_ATTR_NODEV, true},
    {"noexec", MOUNT_ATTR_NOEXEC, false},
    {"exec", MOUNT_ATTR_NOEXEC, true},
    {"nodiratime", MOUNT_ATTR_NODIRATIME, false},
    {"diratime", MOUNT_ATTR_NODIRATIME, true},
    {"nosymfollow", MOUNT_ATTR_NOSYMFOLLOW, false},
    {"symfollow", MOUNT_ATTR_NOSYMFOLLOW, true},
}};

// The atime mode is one field of the attributes (relatime is 0).
struct AtimeWord {
  std::string_view name;
  uint64_t mode;
};
constexpr std::array<AtimeWord, 6> kAtimeWords{{
    {"noatime", MOUNT_ATTR_NOATIME},
    {"strictatime", MOUNT_ATTR_STRICTATIME},
    {"relatime", MOUNT_ATTR_RELATIME},
    // Clearing noatime/relatime/strictatime falls back to the kernel default.
    {"atime", MOUNT_ATTR_RELATIME},
    {"norelatime", MOUNT_ATTR_RELATIME},
    {"nostrictatime", MOUNT_ATTR_RELATIME},
}};

constexpr std::array<AttrWord, 4> kRecursiveWords{{
    {"rro", MOUNT_ATTR_RDONLY, false},
    {"rnosuid", MOUNT_ATTR_NOSUID, false},
    {"rnodev", MOUNT_ATTR_NODEV, false},
    {"rnoexec", MOUNT_ATTR_NOEXEC, false},
}};

struct PropagationWord {
  std::string_view name;
  uint64_t flag;
  bool recursive;
};
constexpr std::array<PropagationWord, 8> kPropagationWords{{
    {"private", MS_PRIVATE, false},
    {"rprivate", MS_PRIVATE, true},
    {"shared", MS_SHARED, false},
    {"rshared", MS_SHARED, true},
    {"slave", MS_SLAVE, false},
    {"rslave", MS_SLAVE, true},
    {"unbindable", MS_UNBINDABLE, false},
    {"runbindable", MS_UNBINDABLE, true},
}};

// Superblock flags the VFS itself parses in fsconfig(2).
constexpr std::array<std::string_view, 7> kSuperblockWords{
    "sync", "async", "dirsync", "mand", "nomand", "lazytime", "nolazytime"};

// Flagless filesystem data options we pass through (devpts, overlay,
// cgroup2, tmpfs).
constexpr std::array<std::string_view, 10> kBareDataOptions{
    "newinstance",  "userxattr", "nsdelegate", "memory_recursiveprot",
    "favordynmods", "inode64",   "inode32",    "noswap",
    "usrquota",     "grpquota"};

template <typename Table>
auto find_word(const Table& table, std::string_view name) -> const typename Table::value_type* {
  for (const auto& entry : table) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

template <size_t N>
bool in_list(const std::array<std::string_view, N>& list, std::string_view name) {
  for (auto word : list) {
    if (word == name) return true;
  }
  return false;
}

// Applies one option; false when it is unknown.
bool apply(MountOptions& out, const std::string& option) {
  if (const auto* w = find_word(kAttrWords, option)) {
    if (w->clear) {
      out.attr_set &= ~w->attr;
      out.attr_clr |= w->attr;
    } else {
      out.attr_set |= w->attr;
      out.attr_clr &= ~w->attr;
    }
    return true;
  }
  if (const auto* w = find_word(kAtimeWords, option)) {
    out.attr_set = (out.attr_set & ~uint64_t{MOUNT_ATTR__ATIME}) | w->mode;
    out.attr_clr |= MOUNT_ATTR__ATIME;  // mount_setattr wants the whole field cleared
    return true;
  }
  if (const auto* w = find_word(kRecursiveWords, option)) {
    out.rec_attr_set |= w->attr;
    return true;
  }
  if (const auto* w = find_word(kPropagationWords, option)) {
    out.propagation = w->flag;
    out.propagation_recursive = w->recursive;
    return true;
  }
  if (option == "bind" || option == "rbind") {
    out.bind = true;
    out.recursive = out.recursive || option == "rbind";
    return true;
  }
  if (option == "remount") {
    out.remount = true;
    return true;
  }
  if (option == "tmpcopyup") {
    out.tmpcopyup = true;
    return true;
  }
  if (in_list(kSuperblockWords, option) || in_list(kBareDataOptions, option)) {
    out.params.push_back({option, "", true});
    return true;
  }
  auto eq = option.find('=');
  if (eq != std::string::npos && eq > 0) {
    out.params.push_back({option.substr(0, eq), option.substr(eq + 1), false});
    return true;
  }
  return false;
}

}  // namespace

MountOptions parse_mount_options(const std::vector<std::string>& options) {
  MountOptions out;
  for (const auto& option : options) {
    if (!apply(out, option)) {
      throw Error(ErrorKind::kUsage, "unknown mount option \"" + option + "\"");
    }
  }
  return out;
}

bool mount_option_known(const std::string& option) {
  MountOptions scratch;
  return apply(scratch, option);
}

}  // namespace vsrv::rootfs
