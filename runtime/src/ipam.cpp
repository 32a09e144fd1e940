#include "ipam.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"

namespace vsrv::runtime {

using isolation::Cidr;

Ipam::Ipam(const std::string& root) : dir_(root + "/.ipam") {}

bool Ipam::try_claim(const std::string& key, const std::string& id) {
  std::string path = dir_ + "/" + key;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) {
    if (errno == EEXIST) return false;
    throw SysError("claim address " + key);
  }
  std::string data = id + "\n";
  try {
    write_all(fd.get(), data.data(), data.size());
  } catch (...) {
    ::unlink(path.c_str());
    throw;
  }
  return true;
}

Cidr Ipam::allocate(const Cidr& subnet, const std::string& id) {
  if (subnet.size() < 4) throw Error(ErrorKind::kUsage, "subnet " + subnet.str() + " is too small");
  make_dirs(dir_, 0700);
  // The cursor: the offset to try next; its lock serialises allocations.
  std::string name = subnet.network().str();
  for (char& c : name)
    if (c == '/') c = '_';
  std::string cursor_path = dir_ + "/next-" + name;
  UniqueFd cursor(::open(cursor_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!cursor) throw SysError("open " + cursor_path);
  while (::flock(cursor.get(), LOCK_EX) < 0) {
    if (errno != EINTR) throw SysError("lock " + cursor_path);
  }
  char buf[32] = {};
  ssize_t n = ::pread(cursor.get(), buf, sizeof buf - 1, 0);
  const uint64_t first = 2, last = subnet.size() - 2, count = last - first + 1;
  uint64_t next = first;
  if (n > 0) next = std::strtoull(buf, nullptr, 10);
  if (next < first || next > last) next = first;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t offset = first + (next - first + i) % count;
    Cidr address = subnet.at(offset);
    if (!try_claim(key(address), id)) continue;
    std::string text = std::to_string(offset + 1) + "\n";
    if (::ftruncate(cursor.get(), 0) < 0 || ::pwrite(cursor.get(), text.data(), text.size(), 0) < 0)
      throw SysError("write " + cursor_path);
    return address;
  }
  throw Error(ErrorKind::kState, "no free address left in " + subnet.network().str());
}

void Ipam::claim(const Cidr& address, const std::string& id) {
  make_dirs(dir_, 0700);
  if (try_claim(key(address), id)) return;
  auto owner = try_read_file(dir_ + "/" + key(address));
  throw Error(ErrorKind::kState, "address " + address.address() + " is in use" +
                                     (owner ? " by server " + trim(*owner) : ""));
}

bool Ipam::held_by(const std::string& key, const std::string& id) const {
  if (key.empty() || key.find('/') != std::string::npos) return false;
  auto owner = try_read_file(dir_ + "/" + key);
  return owner && trim(*owner) == id;
}

void Ipam::release(const std::string& key, const std::string& id) {
  if (held_by(key, id)) ::unlink((dir_ + "/" + key).c_str());
}

}  // namespace vsrv::runtime
