#include "output.hpp"

#include <seccomp.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "vsrv/base/file.hpp"

namespace vsrv::cli {

void print_list(const std::vector<State>& servers, bool quiet, bool json) {
  if (json) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& s : servers) {
      nlohmann::json j = {{"id", s.id},
                          {"pid", s.status == Status::kStopped ? 0 : s.pid},
                          {"status", status_name(s.status)},
                          {"bundle", s.bundle},
                          {"rootfs", s.rootfs},
                          {"template", s.template_name},
                          {"created", s.created}};
      if (s.exit_status) j["exitStatus"] = *s.exit_status;
      if (s.oom_killed) j["oomKilled"] = true;
      if (s.restarts) j["restarts"] = s.restarts;  // reboots from inside, restart: always
      if (!s.net.mode.empty()) j["addresses"] = s.net.addresses;
      a.push_back(j);
    }
    std::cout << a.dump(2) << "\n";
    return;
  }
  if (quiet) {
    for (const auto& s : servers) std::cout << s.id << "\n";
    return;
  }
  std::printf("%-20s %-8s %-9s %-5s %-24s %s\n", "ID", "PID", "STATUS", "EXIT", "TEMPLATE/BUNDLE",
              "CREATED");
  for (const auto& s : servers) {
    std::string exit = s.exit_status ? std::to_string(*s.exit_status) : "-";
    if (s.oom_killed) exit += " oom";  // a process was OOM-killed
    std::string from = s.template_name.empty() ? s.bundle : s.template_name;
    std::printf("%-20s %-8d %-9s %-5s %-24s %s\n", s.id.c_str(),
                s.status == Status::kStopped ? 0 : s.pid, status_name(s.status), exit.c_str(),
                from.c_str(), s.created.substr(0, 19).c_str());
  }
}

void print_processes(const std::vector<pid_t>& pids, bool json) {
  if (json) {
    std::cout << nlohmann::json(pids).dump() << "\n";
    return;
  }
  std::printf("%-8s %s\n", "PID", "CMD");
  for (pid_t p : pids) {
    std::string cmd;
    try {
      cmd = read_file("/proc/" + std::to_string(p) + "/cmdline");
    } catch (...) {
    }
    for (auto& c : cmd)
      if (c == '\0') c = ' ';
    std::printf("%-8d %s\n", p, trim(cmd).c_str());
  }
}

void print_version() {
  const struct scmp_version* v = seccomp_version();
  std::printf("vsrv version %s\nspec: 1.0.2\nlibseccomp: %u.%u.%u\n", VSRV_VERSION, v->major,
              v->minor, v->micro);
}

}  // namespace vsrv::cli
