#include "ipam.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"

namespace vsrv::runtime {

using isolation::Cidr;

Ipam::Ipam(const std::string& root, std::string journal)
    : dir_(root + "/.ipam"), journal_(std::move(journal)) {}

// The journal holds the addresses claimed so far and the one about to be:
// rewritten in place, so its size stays that of a few lines however many
// taken addresses allocate() skips.
void Ipam::write_journal(const std::string& candidate) {
  if (journal_.empty()) return;
  UniqueFd fd(::open(journal_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) throw SysError("open " + journal_);
  std::string text = claimed_ + candidate + "\n";
  if (::pwrite(fd.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()) ||
      ::ftruncate(fd.get(), static_cast<off_t>(text.size())) < 0)
    throw SysError("write " + journal_);
}

std::vector<std::string> Ipam::journaled(const std::string& journal) {
  std::vector<std::string> keys;
  auto text = try_read_file(journal);
  if (!text) return keys;
  for (const auto& line : split(*text, '\n'))
    if (!line.empty()) keys.push_back(line);
  return keys;
}

// A claim is a symlink whose target is the owner's id: made in one step
// with its content, so there is never a claim without an owner.
bool Ipam::try_claim(const std::string& key, const std::string& id) {
  write_journal(key);
  std::string path = dir_ + "/" + key;
  if (::symlink(id.c_str(), path.c_str()) < 0) {
    if (errno == EEXIST) return false;
    throw SysError("claim address " + key);
  }
  if (!journal_.empty()) claimed_ += key + "\n";
  return true;
}

std::optional<std::string> Ipam::owner(const std::string& key) const {
  std::string path = dir_ + "/" + key;
  char buf[256];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  if (n >= 0) return std::string(buf, static_cast<size_t>(std::min<ssize_t>(n, sizeof buf)));
  if (errno == ENOENT) return std::nullopt;
  // A plain file holding the id (older versions claimed that way).
  auto text = try_read_file(path);
  if (!text) return std::nullopt;
  return trim(*text);
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
  auto who = owner(key(address));
  throw Error(ErrorKind::kState,
              "address " + address.address() + " is in use" + (who ? " by server " + *who : ""));
}

bool Ipam::held_by(const std::string& key, const std::string& id) const {
  if (key.empty() || key.find('/') != std::string::npos || key[0] == '.') return false;
  auto who = owner(key);
  return who && *who == id;
}

void Ipam::release(const std::string& key, const std::string& id) {
  if (held_by(key, id)) ::unlink((dir_ + "/" + key).c_str());
}

}  // namespace vsrv::runtime
