#include "net_host.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"

namespace vsrv::runtime {

namespace {

std::string net_dir(const std::string& root) {
  return root + "/.net";
}

std::string bridge_record(const std::string& root, const std::string& bridge) {
  return net_dir(root) + "/bridge-" + bridge;
}

// The network namespace we are in: its inode, unique while it exists
// (ifindexes are only unique within one namespace).
std::string netns_id() {
  struct stat st;
  if (::stat("/proc/self/ns/net", &st) < 0) throw SysError("stat /proc/self/ns/net");
  return std::to_string(st.st_ino);
}

void append_line(const std::string& path, const std::string& line) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!fd) throw SysError("open " + path);
  std::string text = line + "\n";
  // One write of a short line with O_APPEND: concurrent writers never mix.
  write_all(fd.get(), text.data(), text.size());
}

int to_int(const std::string& s) {
  try {
    size_t used = 0;
    int v = std::stoi(s, &used);
    return used == s.size() ? v : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

void release_unused_bridge(const std::string& root, const std::string& bridge) {
  std::string path = bridge_record(root, bridge);
  auto text = try_read_file(path);
  if (!text) return;  // vsrv made nothing on this bridge
  int index = isolation::link_index(bridge);
  if (index > 0 && isolation::has_ports(index)) return;  // in use
  // Lines: "link NETNS IFINDEX" (vsrv made the bridge), "addr NETNS IFINDEX
  // CIDR" (vsrv added the address). Those of other namespaces are kept;
  // those of this one are done with: acted on when they name the bridge
  // that exists now, dropped when they name one that is gone.
  const std::string ns = netns_id();
  bool made = false;
  std::vector<isolation::Cidr> added;
  std::string keep;
  for (const auto& line : split(*text, '\n')) {
    auto w = split(line, ' ');
    if (w.size() < 3) continue;
    if (w[1] != ns) {
      keep += line + "\n";
      continue;
    }
    if (index <= 0 || to_int(w[2]) != index) continue;
    if (w[0] == "link") made = true;
    if (w[0] == "addr" && w.size() == 4 && isolation::is_cidr(w[3]))
      added.push_back(isolation::parse_cidr(w[3]));
  }
  if (made) {
    isolation::delete_link(index);  // its addresses go with it
  } else {
    for (const auto& a : added) isolation::delete_address(index, a);
  }
  if (keep.empty()) {
    if (::unlink(path.c_str()) < 0 && errno != ENOENT) throw SysError("remove " + path);
  } else {
    write_file_atomic(path, keep, 0600, false);
  }
}

}  // namespace

HostNetLock::HostNetLock(const std::string& root, bool exclusive) {
  make_dirs(net_dir(root), 0700);
  std::string path = net_dir(root) + "/lock";
  fd_.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd_) throw SysError("open " + path);
  while (::flock(fd_.get(), exclusive ? LOCK_EX : LOCK_SH) < 0) {
    if (errno != EINTR) throw SysError("lock " + path);
  }
}

void ensure_bridge_recorded(const std::string& root, const isolation::Bridge& bridge) {
  isolation::BridgeMade made = isolation::ensure_bridge(bridge);
  if (!made.created && made.added.empty()) return;
  // A kill right here leaves the bridge unrecorded: kept forever, never
  // removed wrongly.
  std::string path = bridge_record(root, bridge.name);
  std::string where = netns_id() + " " + std::to_string(made.ifindex);
  if (made.created) append_line(path, "link " + where);
  for (const auto& a : made.added) append_line(path, "addr " + where + " " + a.str());
}

void release_unused(const std::string& root, const std::string& bridge, bool table) {
  if (bridge.empty() && !table) return;
  // Nothing recorded and no table: nothing of vsrv's to remove (a quick
  // look without the lock; a create that records meanwhile uses it).
  bool recorded = !bridge.empty() && ::access(bridge_record(root, bridge).c_str(), F_OK) == 0;
  if (!recorded && !table) return;
  HostNetLock lock(root, true);
  FirstError errors;
  if (recorded) errors.step([&] { release_unused_bridge(root, bridge); });
  if (table) errors.step([&] { isolation::remove_forward_table_if_unused(); });
  if (errors.failed()) throw Error(errors.message());
}

}  // namespace vsrv::runtime
