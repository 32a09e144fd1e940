#include <nlohmann/json.hpp>

#include "vsrv/runtime/server.hpp"

namespace vsrv::runtime {

std::string features_json() {
  using nlohmann::json;
  json j = {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", "1.1.0"},
      {"hooks",
       {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
      {"mountOptions",
       {"ro",         "rw",          "suid",        "nosuid",        "dev",      "nodev",
        "exec",       "noexec",      "sync",        "async",         "dirsync",  "remount",
        "mand",       "nomand",      "atime",       "noatime",       "diratime", "nodiratime",
        "relatime",   "norelatime",  "strictatime", "nostrictatime", "bind",     "rbind",
        "private",    "rprivate",    "shared",      "rshared",       "slave",    "rslave",
        "unbindable", "runbindable", "tmpcopyup"}},
      {"linux",
       {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}},
        {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"rdma", true}}},
        {"seccomp", {{"enabled", true}}},
        {"apparmor", {{"enabled", false}}},
        {"selinux", {{"enabled", false}}}}},
      {"annotations", {{"org.opencontainers.runc.version", "compatible"}}}};
  return j.dump(2);
}

}  // namespace vsrv::runtime
