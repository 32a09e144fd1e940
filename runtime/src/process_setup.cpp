#include "process_setup.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/isolation/process.hpp"

namespace vsrv::runtime {

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string env_value(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env)
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=')
      return e.substr(key.size() + 1);
  return "";
}

bool is_executable(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

// Opens a pty pair from the server's own devpts instance; the slave becomes
// the controlling terminal and standard streams, the master goes out.
UniqueFd open_terminal() {
  UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) throw SysError("open /dev/ptmx");
  int unlock = 0;
  if (::ioctl(master.get(), TIOCSPTLCK, &unlock) < 0) throw SysError("unlock pty");
  UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) throw SysError("open pty slave");
  if (::setsid() < 0 && errno != EPERM) throw SysError("setsid");
  if (::ioctl(slave.get(), TIOCSCTTY, 0) < 0) throw SysError("set controlling terminal");
  for (int i = 0; i < 3; ++i)
    if (::dup2(slave.get(), i) < 0) throw SysError("dup pty slave");
  return master;
}

void apply_process_limits(const spec::Process& p) {
  isolation::apply_rlimits(p.rlimits);
  if (p.oom_score_adj) isolation::set_oom_score_adj(*p.oom_score_adj);
}

std::string prepare_exec(const spec::Process& p) {
  if (::chdir(p.cwd.c_str()) < 0) throw SysError("process.cwd " + p.cwd);
  // The root is "/" after pivot_root; make sure cwd did not end up outside it
  // (e.g. through an fd link), the CVE-2024-21626 class.
  char buf[PATH_MAX];
  if (!::getcwd(buf, sizeof buf) || buf[0] != '/')
    throw Error("process.cwd " + p.cwd + ": outside the server's root");

  const std::string& name = p.args.at(0);
  // The wording engines map to exit codes: "no such file or directory" and
  // "executable file not found in $PATH" to 127, "permission denied" to 126.
  if (name.find('/') != std::string::npos) {
    struct stat st;
    if (::stat(name.c_str(), &st) < 0) throw SysError("process.args[0]: " + name);
    if (!is_executable(name)) throw Error("process.args[0]: " + name + ": permission denied");
    return name;
  }
  std::string path = env_value(p.env, "PATH");
  if (path.empty()) path = kDefaultPath;
  for (const auto& dir : split(path, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (is_executable(candidate)) return candidate;
  }
  throw Error("process.args[0]: \"" + name + "\": executable file not found in $PATH");
}

void exec_process(const spec::Process& p, const std::string& exe,
                  const isolation::SeccompProgram* seccomp) {
  isolation::confine_exec_to_root();
  // Without no_new_privs the kernel takes a filter only from CAP_SYS_ADMIN,
  // which the user may be about to lose: load it first (as runc does).
  const bool early_seccomp = seccomp && !p.no_new_privileges;
  if (early_seccomp) isolation::load_seccomp(*seccomp);
  isolation::apply_user_and_capabilities(p.user,
                                         p.capabilities.value_or(isolation::Capabilities{}));
  if (p.no_new_privileges) isolation::set_no_new_privs();
  if (seccomp && !early_seccomp) isolation::load_seccomp(*seccomp);
  isolation::cloexec_fds_from(3);

  std::vector<char*> argv, envp;
  for (const auto& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::string home = "HOME=" + std::string(p.user.uid == 0 ? "/root" : "/");
  bool has_home = !env_value(p.env, "HOME").empty();
  for (const auto& e : p.env) envp.push_back(const_cast<char*>(e.c_str()));
  if (!has_home) envp.push_back(home.data());
  envp.push_back(nullptr);
  ::execve(exe.c_str(), argv.data(), envp.data());
  throw SysError("exec " + exe);
}

// Closes every inherited fd except 0-2 and those in keep (sorted here):
// the caller's lock file and anything else of the host must not reach the server.
void close_fds_except(std::vector<int> keep) {
  std::erase_if(keep, [](int fd) { return fd < 3; });
  std::sort(keep.begin(), keep.end());
  unsigned lo = 3;
  for (int fd : keep) {
    if (static_cast<unsigned>(fd) > lo) ::close_range(lo, static_cast<unsigned>(fd) - 1, 0);
    lo = static_cast<unsigned>(fd) + 1;
  }
  ::close_range(lo, ~0U, 0);
}

}  // namespace vsrv::runtime
