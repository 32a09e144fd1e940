// Global options every command shares (DESIGN.md §3).
#pragma once

#include <string>

namespace vsrv {

struct GlobalOptions {
  std::string root = "/run/vsrv";      // state: one dir per server
  std::string data = "/var/lib/vsrv";  // templates and server storage
  std::string log;                     // error log file (engines pass it)
  std::string log_format = "text";     // text | json
  bool debug = false;
  std::string network_config;   // empty: /etc/vsrv/network.yaml when present
  std::string idmap_pool;       // FIRST:COUNT for idmap: auto; empty: idmap_pool.hpp
  bool systemd_cgroup = false;  // --systemd-cgroup: refused with a clear error
};

}  // namespace vsrv
