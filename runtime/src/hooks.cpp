#include "hooks.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <nlohmann/json.hpp>

#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/base/proc.hpp"

namespace vsrv::runtime {

namespace {

using nlohmann::json;

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "ended";
}

[[noreturn]] void hook_child(const spec::Hook& h, int in) {
  ::setpgid(0, 0);  // a timeout kills what the hook started, too
  if (::dup2(in, 0) < 0) ::_exit(127);
  ::close_range(3, ~0U, 0);
  ::signal(SIGPIPE, SIG_DFL);
  std::vector<char*> argv, envp;
  std::string path = h.path;
  if (h.args.empty()) argv.push_back(path.data());
  for (const auto& a : h.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : h.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  ::execve(h.path.c_str(), argv.data(), envp.data());
  ::_exit(127);
}

void run_one(const spec::Hook& h, const std::string& kind, const std::string& state) {
  const std::string what = kind + " hook " + h.path;
  Pipe in = Pipe::make();
  pid_t pid = ::fork();
  if (pid < 0) throw SysError(what + ": fork");
  if (pid == 0) {
    in.write.reset();
    hook_child(h, in.read.get());
  }
  in.read.reset();
  UniqueFd pidfd(pidfd_open(pid));
  // A hook that does not read its stdin is fine: ignore EPIPE.
  struct sigaction ign = {}, old = {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, &old);
  try {
    write_all(in.write.get(), state.data(), state.size());
  } catch (const SysError&) {
  }
  ::sigaction(SIGPIPE, &old, nullptr);
  in.write.reset();

  bool timed_out = false;
  if (h.timeout && *h.timeout > 0 && pidfd) {
    struct pollfd p = {pidfd.get(), POLLIN, 0};
    int n;
    do {
      n = ::poll(&p, 1, *h.timeout * 1000);
    } while (n < 0 && errno == EINTR);
    if (n == 0) {
      timed_out = true;
      ::kill(-pid, SIGKILL);
      pidfd_send_signal(pidfd.get(), SIGKILL);
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw SysError(what + ": wait");
  }
  if (timed_out)
    throw Error(what + ": timed out after " + std::to_string(*h.timeout) + " s (killed)");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && ::access(h.path.c_str(), X_OK) < 0)
    throw SysError(what, errno);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error(what + ": " + describe_status(status));
}

json hooks_to_json(const std::vector<spec::Hook>& hooks) {
  json a = json::array();
  for (const auto& h : hooks) {
    json j = {{"path", h.path}};
    if (!h.args.empty()) j["args"] = h.args;
    if (!h.env.empty()) j["env"] = h.env;
    if (h.timeout) j["timeout"] = *h.timeout;
    a.push_back(j);
  }
  return a;
}

}  // namespace

std::string hook_state_json(const State& st, const std::string& status) {
  json j = {{"ociVersion", "1.0.2"}, {"id", st.id}, {"status", status}, {"bundle", st.bundle}};
  if (st.pid > 0 && status != "stopped") j["pid"] = st.pid;
  j["annotations"] = st.annotations;
  return j.dump();
}

void run_hooks(const std::vector<spec::Hook>& hooks, const std::string& kind,
               const std::string& state) {
  for (const auto& h : hooks) run_one(h, kind, state);
}

void run_hooks_warn(const std::vector<spec::Hook>& hooks, const std::string& kind,
                    const std::string& state) {
  for (const auto& h : hooks) {
    try {
      run_one(h, kind, state);
    } catch (const std::exception& e) {
      std::cerr << "vsrv: warning: " << e.what() << "\n";
    }
  }
}

bool needs_hook_stop(const spec::Hooks& h) {
  return !h.prestart.empty() || !h.create_runtime.empty() || !h.create_container.empty() ||
         !h.start_container.empty();
}

std::string later_hooks_json(const spec::Hooks& h) {
  if (h.poststart.empty() && h.poststop.empty()) return "";
  return json{{"poststart", hooks_to_json(h.poststart)}, {"poststop", hooks_to_json(h.poststop)}}
      .dump();
}

std::vector<spec::Hook> later_hooks(const std::string& text, const std::string& kind) {
  std::vector<spec::Hook> out;
  if (text.empty()) return out;
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.contains(kind)) return out;
  for (const auto& e : j[kind]) {
    spec::Hook h;
    h.path = e.value("path", "");
    h.args = e.value("args", std::vector<std::string>{});
    h.env = e.value("env", std::vector<std::string>{});
    if (e.contains("timeout")) h.timeout = e["timeout"].get<int>();
    out.push_back(h);
  }
  return out;
}

}  // namespace vsrv::runtime
