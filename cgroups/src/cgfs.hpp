// Small helpers over cgroupfs shared by both backends (private).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vsrv::cgroups::detail {

bool is_cgroup1(const std::string& path);  // statfs == CGROUP_SUPER_MAGIC
bool is_cgroup2(const std::string& path);  // statfs == CGROUP2_SUPER_MAGIC

std::string join(const std::string& dir, const std::string& name);
std::string parent_of(const std::string& dir);

// Content of a small file, trimmed; empty optional if it does not exist.
std::optional<std::string> read_opt(const std::string& path);
// A counter file as a number; 0 when missing or not a number.
uint64_t read_u64(const std::string& path);
// A "KEY VALUE" file (cpu.stat, memory.events, ...); empty when missing.
std::map<std::string, uint64_t> read_keyed(const std::string& path);
// A limit file; empty when unlimited or missing.
std::optional<uint64_t> read_limit(const std::string& path);

// write(2) once; returns 0 or the errno.
int write_errno(const std::string& path, const std::string& data);
// Throws SysError "write DATA to PATH: ...".
void write_or_throw(const std::string& path, const std::string& data);

// Writes a resource file; the Error names the OCI field. A missing file is
// reported with `missing` as the reason (e.g. "swap accounting disabled").
void write_limit(const std::string& dir, const std::string& file, const std::string& value,
                 const std::string& field, const std::string& missing = "");

// Pids in dir/cgroup.procs and in every descendant's (appended to out).
void collect_procs(const std::string& dir, std::vector<pid_t>& out);
// Pids in dir/cgroup.procs only.
std::vector<pid_t> read_procs(const std::string& dir);

// rmdir dir and its sub-cgroups, children first; EBUSY is retried briefly
// (100 x 1 ms: processes that were just killed are still leaving), a missing
// directory is fine.
void remove_cgroup_dir(const std::string& dir);

// Waits (poll(POLLPRI) on cgroup.events, no sleeping) until "KEY VALUE" shows
// in dir/cgroup.events. False on timeout.
bool wait_events(const std::string& dir, const std::string& key, const std::string& value,
                 int timeout_ms);
// The same for any condition on the file's text.
bool wait_events_until(const std::string& dir, const std::function<bool(const std::string&)>& done,
                       int timeout_ms);

void sleep_ms(int ms);

// Directories made by one create(), removed again (last first) unless
// committed: create() either succeeds whole or leaves nothing behind.
class DirRollback {
 public:
  DirRollback() = default;
  DirRollback(const DirRollback&) = delete;
  DirRollback& operator=(const DirRollback&) = delete;
  ~DirRollback();
  void created(const std::string& dir) { dirs_.push_back(dir); }
  void commit() { dirs_.clear(); }

 private:
  std::vector<std::string> dirs_;
};

// mkdir base/c0/c1/... level by level. Intermediate levels may exist (they
// can be shared); the last must not ("cgroup DIR exists already"). Returns
// the leaf; every level made is recorded in rollback and, when fill_cpuset,
// gets cpuset.cpus/mems copied from its nearest non-empty ancestor (v1 leaves
// them empty, and an empty cpuset refuses processes with ENOSPC).
// *deepest_existing receives the deepest level that was there before.
std::string make_cgroup_dirs(const std::string& base, const std::vector<std::string>& comps,
                             DirRollback& rollback, bool fill_cpuset,
                             std::string* deepest_existing = nullptr);

}  // namespace vsrv::cgroups::detail
