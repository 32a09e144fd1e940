#include "monitor.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "prepare.hpp"
#include "vsrv/base/error.hpp"

namespace vsrv::runtime {

namespace {

std::string self_exe() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw SysError("readlink /proc/self/exe");
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace

std::string monitor_program() {
  std::string self = self_exe();
  std::string program = self.substr(0, self.rfind('/') + 1) + "vsrv-monitor";
  if (::access(program.c_str(), X_OK) == 0) return program;
#ifdef VSRV_MONITOR_INSTALLED
  if (::access(VSRV_MONITOR_INSTALLED, X_OK) == 0) return VSRV_MONITOR_INSTALLED;
#endif
  throw Error("the monitor program vsrv-monitor is neither next to " + self +
              " nor installed: reinstall vsrv");
}

std::vector<std::string> relaunch_command(const GlobalOptions& g, const std::string& policy,
                                          const std::string& id) {
  if (policy != "on-reboot" && policy != "always") return {};
  std::vector<std::string> out = {policy,   self_exe(),           "--root", absolute_path(g.root),
                                  "--data", absolute_path(g.data)};
  if (!g.network_config.empty())
    out.insert(out.end(), {"--network-config", absolute_path(g.network_config)});
  if (!g.idmap_pool.empty()) out.insert(out.end(), {"--idmap-pool", g.idmap_pool});
  out.insert(out.end(), {"relaunch", id});
  return out;
}

void exec_monitor(const std::string& program, const std::string& exit_path, int init_pidfd,
                  int output_fd, int log_fd, const std::vector<std::string>& relaunch) {
  for (int fd : {init_pidfd, output_fd, log_fd})
    if (fd >= 0) ::fcntl(fd, F_SETFD, 0);
  std::vector<std::string> args = {"vsrv-monitor", exit_path, std::to_string(init_pidfd),
                                   std::to_string(output_fd), std::to_string(log_fd)};
  args.insert(args.end(), relaunch.begin(), relaunch.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  char* envp[] = {nullptr};
  ::execve(program.c_str(), argv.data(), envp);
  for (int fd : {init_pidfd, output_fd, log_fd})
    if (fd >= 0) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

}  // namespace vsrv::runtime
