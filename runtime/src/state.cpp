#include "vsrv/runtime/state.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/base/proc.hpp"

namespace vsrv {

using nlohmann::json;

const char* status_name(Status s) {
  switch (s) {
    case Status::kCreating:
      return "creating";
    case Status::kCreated:
      return "created";
    case Status::kRunning:
      return "running";
    case Status::kPaused:
      return "paused";
    case Status::kStopped:
      return "stopped";
  }
  return "unknown";
}

static Status status_from_name(const std::string& n) {
  if (n == "creating") return Status::kCreating;
  if (n == "created") return Status::kCreated;
  if (n == "running") return Status::kRunning;
  if (n == "paused") return Status::kPaused;
  return Status::kStopped;
}

std::string state_to_json(const State& s) {
  json j = {{"id", s.id},
            {"status", status_name(s.status)},
            {"pid", s.pid},
            {"pidStart", s.pid_start},
            {"monitorPid", s.monitor_pid},
            {"monitorStart", s.monitor_start},
            {"stopSignal", s.stop_signal},
            {"creatorPid", s.creator_pid},
            {"creatorStart", s.creator_start},
            {"bundle", s.bundle},
            {"rootfs", s.rootfs},
            {"specSource", s.spec_source},
            {"template", s.template_name},
            {"created", s.created},
            {"cgroupDirs", s.cgroup_dirs},
            {"annotations", s.annotations}};
  if (s.stop_requested) j["stopRequested"] = true;
  if (s.restarts) j["restarts"] = s.restarts;
  if (s.cgroup_parents) j["cgroupParents"] = s.cgroup_parents;
  if (!s.hooks.empty()) j["hooks"] = s.hooks;
  if (s.idmap_base) j["idmap"] = {{"hostID", *s.idmap_base}, {"size", 65536}};
  if (!s.net.mode.empty()) {
    j["network"] = {{"mode", s.net.mode}, {"hostIf", s.net.host_if}, {"addresses", s.net.addresses},
                    {"ipam", s.net.ipam}, {"routes", s.net.routes},  {"ports", s.net.ports}};
    if (!s.net.bridge.empty()) j["network"]["bridge"] = s.net.bridge;
  }
  return j.dump(2) + "\n";
}

State state_from_json(const std::string& text) {
  json j = json::parse(text);
  State s;
  s.id = j.value("id", "");
  s.status = status_from_name(j.value("status", "stopped"));
  s.pid = j.value("pid", 0);
  s.pid_start = j.value("pidStart", uint64_t{0});
  s.monitor_pid = j.value("monitorPid", 0);
  s.monitor_start = j.value("monitorStart", uint64_t{0});
  s.stop_signal = j.value("stopSignal", 15);
  s.creator_pid = j.value("creatorPid", 0);
  s.creator_start = j.value("creatorStart", uint64_t{0});
  s.bundle = j.value("bundle", "");
  s.rootfs = j.value("rootfs", "");
  s.spec_source = j.value("specSource", "");
  s.template_name = j.value("template", "");
  s.created = j.value("created", "");
  s.cgroup_dirs = j.value("cgroupDirs", std::vector<std::string>{});
  s.annotations = j.value("annotations", std::map<std::string, std::string>{});
  s.stop_requested = j.value("stopRequested", false);
  s.restarts = j.value("restarts", 0);
  s.cgroup_parents = j.value("cgroupParents", 0);
  s.hooks = j.value("hooks", "");
  if (j.contains("idmap")) s.idmap_base = j["idmap"].at("hostID").get<uint32_t>();
  if (j.contains("network")) {
    const json& n = j["network"];
    using Strings = std::vector<std::string>;
    s.net.mode = n.value("mode", "");
    s.net.host_if = n.value("hostIf", "");
    s.net.bridge = n.value("bridge", "");
    s.net.addresses = n.value("addresses", Strings{});
    s.net.ipam = n.value("ipam", Strings{});
    s.net.routes = n.value("routes", Strings{});
    s.net.ports = n.value("ports", Strings{});
  }
  return s;
}

StateStore::StateStore(std::string root) : root_(std::move(root)) {}

void StateStore::create_dir(const std::string& id) {
  make_dirs(root_, 0711);
  if (::mkdir(dir(id).c_str(), 0700) < 0) {
    if (errno == EEXIST) throw Error(ErrorKind::kState, "server " + id + " exists already");
    throw SysError("mkdir " + dir(id));
  }
}

bool StateStore::exists(const std::string& id) const {
  struct stat st;
  return ::stat((dir(id) + "/state.json").c_str(), &st) == 0;
}

UniqueFd StateStore::lock(const std::string& id) const {
  UniqueFd fd(::open((dir(id) + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) {
    if (errno == ENOENT) throw Error(ErrorKind::kState, "server " + id + " does not exist");
    throw SysError("open " + dir(id) + "/lock");
  }
  while (::flock(fd.get(), LOCK_EX) < 0) {
    if (errno != EINTR) throw SysError("lock " + id);
  }
  // The server may have been deleted while we waited.
  struct stat st;
  if (::fstat(fd.get(), &st) == 0 && st.st_nlink == 0)
    throw Error(ErrorKind::kState, "server " + id + " does not exist");
  return fd;
}

State StateStore::read(const std::string& id) const {
  auto text = try_read_file(dir(id) + "/state.json");
  if (!text) throw Error(ErrorKind::kState, "server " + id + " does not exist");
  State s;
  try {
    s = state_from_json(*text);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::kState, "server " + id + ": state.json is corrupt: " + e.what());
  }
  return s;
}

bool StateStore::durable() const {
  if (durable_ < 0) {
    struct statfs fs;
    bool volatile_fs =
        ::statfs(root_.c_str(), &fs) == 0 && (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC);
    durable_ = volatile_fs ? 0 : 1;
  }
  return durable_ == 1;
}

void StateStore::write(const State& state) const {
  write_file_atomic(dir(state.id) + "/state.json", state_to_json(state), 0600, durable());
}

void StateStore::write_exit(const std::string& id, int status) const {
  write_file_atomic(exit_path(id), std::to_string(status) + "\n", 0600, durable());
}

void StateStore::remove(const std::string& id) const {
  // The lock file goes last so that waiters see st_nlink == 0 on it.
  std::string d = dir(id);
  for (const char* f : {"state.json", "exit", "exec.fifo", "spec", ".state.json.tmp", ".exit.tmp"})
    ::unlink((d + "/" + f).c_str());
  ::unlink((d + "/lock").c_str());
  remove_tree(d);
}

std::vector<std::string> StateStore::ids() const {
  std::vector<std::string> out;
  DIR* d = ::opendir(root_.c_str());
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) continue;
    out.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

State StateStore::derive(State s) const {
  switch (s.status) {
    case Status::kCreating:
      if (!s.creator_pid || !process_alive(s.creator_pid, s.creator_start))
        s.status = Status::kStopped;  // a create that died halfway: delete --force cleans it
      break;
    case Status::kCreated:
    case Status::kRunning:
    case Status::kPaused:
      if (!s.pid || !process_alive(s.pid, s.pid_start)) s.status = Status::kStopped;
      break;
    case Status::kStopped:
      break;
  }
  // The exit code, once stopped (written by the monitor or an attached run).
  if (s.status == Status::kStopped && !s.exit_status) {
    if (auto code = try_read_file(exit_path(s.id))) {
      try {
        s.exit_status = std::stoi(*code);
      } catch (...) {
      }
    }
  }
  return s;
}

}  // namespace vsrv
