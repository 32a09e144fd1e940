#include "workspace.hpp"

#include <dirent.h>
#include <ftw.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>

#include "files.hpp"

namespace vsrv::bench {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;

void on_signal(int) {
  g_interrupted = 1;
}

// mountinfo escapes blanks in paths as \040 etc.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct MountLine {
  std::string root, point, fstype, super_opts;
};

std::vector<MountLine> mountinfo() {
  std::vector<MountLine> out;
  std::istringstream in(read_file("/proc/self/mountinfo"));
  for (std::string line; std::getline(in, line);) {
    auto f = split_ws(line);
    size_t dash = 0;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (dash < 5 || dash + 2 >= f.size()) continue;
    MountLine m;
    m.root = unescape(f[3]);
    m.point = unescape(f[4]);
    m.fstype = f[dash + 1];
    m.super_opts = dash + 3 < f.size() ? f[dash + 3] : "";
    out.push_back(m);
  }
  return out;
}

bool has_all(const std::string& csv_have, const std::string& csv_want) {
  std::string have = "," + csv_have + ",";
  std::istringstream in(csv_want);
  for (std::string w; std::getline(in, w, ',');)
    if (have.find("," + w + ",") == std::string::npos) return false;
  return true;
}

// rmdir of a cgroup and its children, deepest first; false if any remain.
bool remove_cgroup_tree(const std::string& dir) {
  bool ok = true;
  if (DIR* d = ::opendir(dir.c_str())) {
    std::vector<std::string> subs;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (e->d_type == DT_DIR && n != "." && n != "..") subs.push_back(dir + "/" + n);
    }
    ::closedir(d);
    for (const auto& s : subs) ok = remove_cgroup_tree(s) && ok;
  } else {
    return errno == ENOENT;
  }
  if (::rmdir(dir.c_str()) < 0 && errno != ENOENT) ok = false;
  return ok;
}

int remove_entry(const char* path, const struct stat*, int type, FTW*) {
  if (type == FTW_DP) {
    ::rmdir(path);
  } else {
    ::unlink(path);
  }
  return 0;
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: waits return EINTR and loops notice sooner
  for (int s : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(s, &sa, nullptr);
}

bool interrupted() {
  return g_interrupted != 0;
}

std::vector<std::string> own_cgroup_dirs(const std::string& name) {
  std::vector<std::string> out;
  auto mounts = mountinfo();
  std::istringstream in(read_file("/proc/self/cgroup"));
  for (std::string line; std::getline(in, line);) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string ctrls = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    for (const auto& m : mounts) {
      bool match = ctrls.empty() ? m.fstype == "cgroup2"
                                 : m.fstype == "cgroup" && has_all(m.super_opts, ctrls);
      if (!match) continue;
      std::string rel = path;
      if (m.root != "/" && rel.rfind(m.root, 0) == 0) rel = rel.substr(m.root.size());
      if (rel == "/") rel.clear();
      out.push_back(m.point + rel + "/" + name);
      break;
    }
  }
  return out;
}

std::vector<std::string> mounts_under(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& m : mountinfo())
    if (m.point == dir || m.point.rfind(dir + "/", 0) == 0) out.push_back(m.point);
  return out;
}

namespace {

std::string make_temp_dir(const std::string& parent) {
  std::string t = parent + "/vsrvbench-XXXXXX";
  if (!::mkdtemp(t.data())) throw std::runtime_error("mkdtemp " + t + ": " + std::strerror(errno));
  return t;
}

void remove_tree(const std::string& dir) {
  // FTW_MOUNT: never descend into another filesystem, whatever happened.
  ::nftw(dir.c_str(), remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

}  // namespace

Workspace::Workspace(const std::string& state_parent) {
  dir_ = make_temp_dir("/tmp");
  try {
    state_dir_ = make_temp_dir(state_parent);
  } catch (...) {
    remove_tree(dir_);
    throw;
  }
  cgroup_parent_ = "vsrvbench-" + std::to_string(::getpid());
}

std::string Workspace::state_fs() const {
  std::string best, type;
  for (const auto& m : mountinfo()) {
    bool under = state_dir_ == m.point || m.point == "/" || state_dir_.rfind(m.point + "/", 0) == 0;
    if (under && m.point.size() >= best.size()) best = m.point, type = m.fstype;
  }
  return type;
}

Workspace::~Workspace() {
  if (cleaned_) return;
  for (const auto& l : cleanup()) std::cerr << "bench: leftover: " << l << "\n";
}

std::vector<std::string> Workspace::cleanup() {
  std::vector<std::string> left;
  if (cleaned_) return left;
  cleaned_ = true;
  for (const std::string& dir : {dir_, state_dir_}) {
    auto mounts = mounts_under(dir);
    for (auto it = mounts.rbegin(); it != mounts.rend(); ++it) {
      std::cerr << "bench: a runtime left a mount at " << *it << "; detaching it\n";
      ::umount2(it->c_str(), MNT_DETACH);
    }
    auto still = mounts_under(dir);
    for (const auto& m : still) left.push_back("mount " + m);
    if (!still.empty()) {
      left.push_back("directory " + dir + " (kept: mounts remain)");
      continue;
    }
    remove_tree(dir);
    if (::access(dir.c_str(), F_OK) == 0) left.push_back("directory " + dir);
  }
  for (const auto& cg : own_cgroup_dirs(cgroup_parent_))
    if (!remove_cgroup_tree(cg)) left.push_back("cgroup " + cg);
  return left;
}

}  // namespace vsrv::bench
