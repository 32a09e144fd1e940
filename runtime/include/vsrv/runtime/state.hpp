// The on-disk state of servers under --root: one directory per server with
// state.json (atomically replaced), a lock file taken by every command that
// changes the server, the exec fifo and the recorded exit status.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vsrv/base/fd.hpp"

namespace vsrv {

enum class Status { kCreating, kCreated, kRunning, kPaused, kStopped };
const char* status_name(Status s);

// What a server's network changed outside it, so that delete (even
// `delete --force` after a crash) can undo exactly that.
struct NetState {
  std::string mode;                    // bridge | routed; empty: nothing outside
  std::string host_if;                 // host end of the veth pair
  std::string bridge;                  // bridge mode: the bridge it is attached to
  std::vector<std::string> addresses;  // the server's, "10.77.0.2/16"
  std::vector<std::string> ipam;       // keys held under <root>/.ipam
  std::vector<std::string> routes;     // host routes through host_if ("10.77.0.2/32")
  std::vector<std::string> ports;      // forwards, "tcp 8080 10.77.0.2 80"
};

struct State {
  std::string id;
  Status status = Status::kCreating;  // as recorded; see StateStore::derive
  pid_t pid = 0;                      // the server's init, as seen from the host
  uint64_t pid_start = 0;             // its start time (guards against pid reuse)
  pid_t monitor_pid = 0;              // 0 when an engine brings its own monitor
  uint64_t monitor_start = 0;
  int stop_signal = 15;   // vsrv.stopSignal, SIGTERM by default
  pid_t creator_pid = 0;  // the vsrv process that is creating it
  uint64_t creator_start = 0;
  std::string bundle;
  std::string rootfs;         // host path of the server's root
  std::string spec_source;    // file name the spec came from, for messages
  std::string template_name;  // empty for a bundle rootfs
  std::string created;        // RFC 3339 UTC
  std::vector<std::string> cgroup_dirs;
  int cgroup_parents = 0;  // levels above each dir a relative cgroupsPath made (vsrv/ID: 1)
  // vsrv.idmap: the first of its 65536 host ids (idmap_pool.hpp), recorded
  // before the range is held.
  std::optional<uint32_t> idmap_base;
  std::map<std::string, std::string> annotations;
  std::optional<int> exit_status;  // from the exit file, when recorded
  bool oom_killed = false;
  bool stop_requested = false;  // stop/delete asked: the monitor does not restart it
  int restarts = 0;             // inits the monitor launched again (restart policy)
  NetState net;
  std::string hooks;  // poststart/poststop hooks (JSON), empty: none
};

// Paths and files of one server's state directory.
class StateStore {
 public:
  explicit StateStore(std::string root);

  const std::string& root() const { return root_; }
  std::string dir(const std::string& id) const { return root_ + "/" + id; }
  std::string fifo_path(const std::string& id) const { return dir(id) + "/exec.fifo"; }
  std::string exit_path(const std::string& id) const { return dir(id) + "/exit"; }
  std::string spec_path(const std::string& id) const { return dir(id) + "/spec"; }

  // Creates the server's directory; fails with kState "server X exists already"
  // when it exists (so of two concurrent creates exactly one wins).
  void create_dir(const std::string& id);
  bool exists(const std::string& id) const;

  // An exclusive flock on the server's lock file, held while the object lives.
  // Throws kState "server X does not exist" when there is no such server.
  UniqueFd lock(const std::string& id) const;

  // Reads state.json; throws kState "server X does not exist".
  State read(const std::string& id) const;
  // Atomically replaces state.json (temp + rename, and fsync of the file
  // and the dir unless --root is a tmpfs, where nothing outlives the host).
  void write(const State& state) const;
  // Records the exit status (written by whoever reaps the init).
  void write_exit(const std::string& id, int status) const;
  // Removes the server's state directory.
  void remove(const std::string& id) const;
  // Ids of every server (directory names), sorted.
  std::vector<std::string> ids() const;

  // Status as it truly is now: recorded status checked against the live
  // process (pid + start time), the creating process, and the exit file.
  State derive(State recorded) const;

 private:
  bool durable() const;  // --root is on a filesystem that outlives a crash

  std::string root_;
  mutable int durable_ = -1;  // -1: not looked at yet
};

std::string state_to_json(const State& s);
State state_from_json(const std::string& text);

}  // namespace vsrv
