#include "cgfs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/cgroups/parse.hpp"

namespace vsrv::cgroups::detail {

static bool fs_magic(const std::string& path, long magic) {
  struct statfs st;
  if (::statfs(path.c_str(), &st) < 0) return false;
  return static_cast<long>(st.f_type) == magic;
}

bool is_cgroup1(const std::string& path) {
  return fs_magic(path, CGROUP_SUPER_MAGIC);
}
bool is_cgroup2(const std::string& path) {
  return fs_magic(path, CGROUP2_SUPER_MAGIC);
}

std::string join(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

std::string parent_of(const std::string& dir) {
  size_t slash = dir.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return dir.substr(0, slash);
}

std::optional<std::string> read_opt(const std::string& path) {
  auto s = try_read_file(path);
  if (!s) return std::nullopt;
  return trim(*s);
}

uint64_t read_u64(const std::string& path) {
  auto s = read_opt(path);
  if (!s || s->empty() || s->find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::strtoull(s->c_str(), nullptr, 10);
}

std::map<std::string, uint64_t> read_keyed(const std::string& path) {
  auto s = read_opt(path);
  return s ? flat_keyed(*s) : std::map<std::string, uint64_t>{};
}

std::optional<uint64_t> read_limit(const std::string& path) {
  auto s = read_opt(path);
  return s ? parse_limit(*s) : std::nullopt;
}

int write_errno(const std::string& path, const std::string& data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return errno;
  ssize_t n;
  do {
    n = ::write(fd.get(), data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno;
  return static_cast<size_t>(n) == data.size() ? 0 : EIO;
}

void write_or_throw(const std::string& path, const std::string& data) {
  int err = write_errno(path, data);
  if (err) throw SysError("write " + data + " to " + path, err);
}

void write_limit(const std::string& dir, const std::string& file, const std::string& value,
                 const std::string& field, const std::string& missing) {
  std::string path = join(dir, file);
  int err = write_errno(path, value);
  if (err == 0) return;
  if (err == ENOENT)
    throw Error(field + ": " + file + " is missing in " + dir +
                (missing.empty() ? "" : " (" + missing + ")"));
  throw Error(field + ": write \"" + value + "\" to " + path + ": " + std::strerror(err));
}

std::vector<pid_t> read_procs(const std::string& dir) {
  std::vector<pid_t> out;
  auto text = try_read_file(join(dir, "cgroup.procs"));
  if (!text) return out;  // the cgroup went away meanwhile
  for (const std::string& line : split(*text, '\n'))
    if (!line.empty()) out.push_back(static_cast<pid_t>(std::strtol(line.c_str(), nullptr, 10)));
  return out;
}

// Names of the sub-cgroups of dir (empty if dir is gone).
static std::vector<std::string> subdirs(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    throw SysError("opendir " + dir);
  }
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_type != DT_DIR) continue;
    std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(name);
  }
  ::closedir(d);
  return out;
}

void collect_procs(const std::string& dir, std::vector<pid_t>& out) {
  for (pid_t p : read_procs(dir)) out.push_back(p);
  for (const std::string& sub : subdirs(dir)) collect_procs(join(dir, sub), out);
}

void sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

void remove_cgroup_dir(const std::string& dir) {
  for (const std::string& sub : subdirs(dir)) remove_cgroup_dir(join(dir, sub));
  for (int attempt = 0;; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    if (errno != EBUSY || attempt >= 100) throw SysError("rmdir " + dir);
    sleep_ms(1);
  }
}

bool wait_events(const std::string& dir, const std::string& key, const std::string& value,
                 int timeout_ms) {
  return wait_events_until(
      dir, [&](const std::string& text) { return key_value(text, key) == value; }, timeout_ms);
}

bool wait_events_until(const std::string& dir, const std::function<bool(const std::string&)>& done,
                       int timeout_ms) {
  std::string path = join(dir, "cgroup.events");
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw SysError("open " + path);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int polls = 0;
  for (;;) {
    // kernfs re-arms poll on each read, so a change after this read wakes the poll.
    if (::lseek(fd.get(), 0, SEEK_SET) < 0) throw SysError("lseek " + path);
    char buf[512];
    size_t n = read_full(fd.get(), buf, sizeof buf);
    if (done(std::string(buf, n))) return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return false;
    // The kernel sends at most one notification per file per 10 ms and
    // delays the rest (cgroup_file_notify), so a change soon after the last
    // one (kill right after add) is reported late: for the first 10 ms also
    // re-read every millisecond.
    int wait = ++polls <= 10 ? 1 : static_cast<int>(left);
    struct pollfd p = {fd.get(), POLLPRI, 0};
    if (::poll(&p, 1, std::min(wait, static_cast<int>(left))) < 0 && errno != EINTR)
      throw SysError("poll " + path);
  }
}

DirRollback::~DirRollback() {
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) ::rmdir(it->c_str());
}

// Copies cpuset.cpus/mems from the nearest ancestor that has them.
// A new v1 cpuset cgroup starts with empty cpus and mems, and a child may
// only take a subset of its parent's: fill dir and every empty ancestor
// (shared parents another create has just made) from the nearest filled one,
// top down.
static void fill_cpuset_files(const std::string& dir) {
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    std::vector<std::string> empty;
    std::string value;
    for (std::string d = dir; d.size() > 1; d = parent_of(d)) {
      auto v = read_opt(join(d, file));
      if (!v) break;  // left the cpuset hierarchy
      if (!v->empty()) {
        value = *v;
        break;
      }
      empty.push_back(d);
    }
    if (value.empty()) continue;
    for (auto it = empty.rbegin(); it != empty.rend(); ++it) write_or_throw(join(*it, file), value);
  }
}

std::string make_cgroup_dirs(const std::string& base, const std::vector<std::string>& comps,
                             DirRollback& rollback, bool fill_cpuset,
                             std::string* deepest_existing) {
  std::string dir = base;
  std::string existing = base;
  int restarts = 0;
  for (size_t i = 0; i < comps.size(); ++i) {
    dir = join(dir, comps[i]);
    bool last = i + 1 == comps.size();
    if (::mkdir(dir.c_str(), 0755) < 0) {
      if (errno == EEXIST && !last) {
        existing = dir;
        continue;
      }
      if (errno == EEXIST) throw Error("cgroup " + dir + " exists already");
      // A shared parent we found may have been removed meanwhile by another
      // create's rollback or the delete of its last server: start again
      // from the top (bounded).
      if (errno == ENOENT && i > 0 && restarts++ < 100) {
        dir = existing = base;
        i = static_cast<size_t>(-1);
        continue;
      }
      throw SysError("mkdir " + dir);
    }
    rollback.created(dir);
    if (fill_cpuset) fill_cpuset_files(dir);
  }
  if (deepest_existing) *deepest_existing = existing;
  return dir;
}

}  // namespace vsrv::cgroups::detail
