// Switching to the server's user while keeping exactly the capabilities the
// spec asks for (OCI process.user and process.capabilities).
#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <memory>
#include <set>

#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/isolation/process.hpp"

namespace vsrv::isolation {

namespace {

// Highest capability number the running kernel knows.
int kernel_last_cap() {
  try {
    return std::stoi(trim(read_file("/proc/sys/kernel/cap_last_cap")));
  } catch (const std::exception&) {
    // No procfs (yet): probe the bounding set, which is readable for every
    // capability the kernel knows and EINVAL past the last one.
    int cap = 0;
    while (::prctl(PR_CAPBSET_READ, cap + 1, 0, 0, 0) >= 0) ++cap;
    return cap;
  }
}

using CapSet = std::set<cap_value_t>;

// Capability numbers for names; throws on a name libcap does not know.
// Capabilities newer than the running kernel cannot be held and are ignored.
CapSet resolve(const std::vector<std::string>& names, const char* set, int last_cap) {
  CapSet out;
  for (const auto& name : names) {
    cap_value_t value;
    if (!capability_known(name) || cap_from_name(name.c_str(), &value) != 0) {
      throw Error(ErrorKind::kUsage,
                  std::string("unknown capability ") + name + " in " + set + " set");
    }
    if (value <= last_cap) out.insert(value);
  }
  return out;
}

std::string cap_label(cap_value_t cap) {
  char* name = cap_to_name(cap);
  std::string out = name ? name : std::to_string(cap);
  if (name) cap_free(name);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

struct CapFree {
  void operator()(cap_t c) const { cap_free(c); }
};

void drop_bounding(const CapSet& keep, int last_cap) {
  for (int cap = 0; cap <= last_cap; ++cap) {
    if (keep.count(cap)) continue;
    if (::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1) continue;  // already gone
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
      throw SysError("drop " + cap_label(cap) + " from the bounding set");
    }
  }
}

void set_process_caps(const CapSet& effective, const CapSet& permitted, const CapSet& inheritable) {
  std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree> caps(cap_init());
  if (!caps) throw SysError("cap_init");
  auto add = [&](const CapSet& set, cap_flag_t flag) {
    for (cap_value_t cap : set) {
      if (cap_set_flag(caps.get(), flag, 1, &cap, CAP_SET) < 0) throw SysError("cap_set_flag");
    }
  };
  add(effective, CAP_EFFECTIVE);
  add(permitted, CAP_PERMITTED);
  add(inheritable, CAP_INHERITABLE);
  if (cap_set_proc(caps.get()) < 0) {
    int err = errno;
    for (cap_value_t cap : effective) {
      if (!permitted.count(cap)) {
        throw SysError("set capabilities: " + cap_label(cap) + " is effective but not permitted",
                       err);
      }
    }
    throw SysError("set effective, permitted and inheritable capabilities", err);
  }
}

void set_ambient(const CapSet& ambient, const CapSet& permitted, const CapSet& inheritable) {
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
    if (ambient.empty() && errno == EINVAL) return;  // kernel without ambient capabilities
    throw SysError("clear ambient capabilities");
  }
  for (cap_value_t cap : ambient) {
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) {
      int err = errno;
      std::string why;
      if (!permitted.count(cap) || !inheritable.count(cap))
        why = " (not permitted and inheritable)";
      throw SysError("raise ambient capability " + cap_label(cap) + why, err);
    }
  }
}

}  // namespace

void apply_user_and_capabilities(const User& user, const Capabilities& caps) {
  const int last_cap = kernel_last_cap();
  // Resolve every name before changing anything.
  CapSet bounding = resolve(caps.bounding, "bounding", last_cap);
  CapSet effective = resolve(caps.effective, "effective", last_cap);
  CapSet permitted = resolve(caps.permitted, "permitted", last_cap);
  CapSet inheritable = resolve(caps.inheritable, "inheritable", last_cap);
  CapSet ambient = resolve(caps.ambient, "ambient", last_cap);

  if (user.umask) ::umask(static_cast<mode_t>(*user.umask & 07777));

  // The bounding set is trimmed while we still hold CAP_SETPCAP in the
  // effective set; it is unaffected by the uid change below.
  drop_bounding(bounding, last_cap);

  // Always set the groups: an empty list clears the caller's supplementary groups.
  std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
  if (::setgroups(groups.size(), groups.data()) < 0) throw SysError("setgroups");

  // KEEPCAPS keeps the permitted set across the switch away from uid 0
  // (the effective set is still cleared; it is restored by cap_set_proc).
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) throw SysError("set keepcaps");
  if (::setresgid(user.gid, user.gid, user.gid) < 0) {
    throw SysError("setresgid " + std::to_string(user.gid));
  }
  if (::setresuid(user.uid, user.uid, user.uid) < 0) {
    throw SysError("setresuid " + std::to_string(user.uid));
  }
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) throw SysError("clear keepcaps");

  set_process_caps(effective, permitted, inheritable);
  set_ambient(ambient, permitted, inheritable);
}

}  // namespace vsrv::isolation
