// Capability names (libcap) and the classic default container set.
#include <sys/capability.h>

#include <string>

#include "vsrv/isolation/process.hpp"

namespace vsrv::isolation {

bool capability_known(std::string_view name) {
  // OCI spells capabilities upper case with a CAP_ prefix; libcap's
  // cap_from_name accepts "cap_chown" but also bare numbers, which OCI does not.
  if (name.size() <= 4 || name.substr(0, 4) != "CAP_") return false;
  for (char c : name.substr(4)) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  cap_value_t value;
  return cap_from_name(std::string(name).c_str(), &value) == 0;
}

std::vector<std::string> default_capability_names() {
  return {"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
          "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
          "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
          "CAP_KILL",    "CAP_AUDIT_WRITE"};
}

Capabilities default_capabilities() {
  Capabilities caps;
  caps.bounding = default_capability_names();
  caps.effective = caps.bounding;
  caps.permitted = caps.bounding;
  return caps;
}

}  // namespace vsrv::isolation
