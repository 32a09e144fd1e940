#include "server_files.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/base/file.hpp"

namespace vsrv::runtime {
namespace {

bool loopback(const std::string& addr) {
  unsigned char buf[16];
  if (::inet_pton(AF_INET, addr.c_str(), buf) == 1) return buf[0] == 127;
  if (::inet_pton(AF_INET6, addr.c_str(), buf) == 1) {
    static const unsigned char kLoop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return std::equal(buf, buf + 16, kLoop6);
  }
  return false;
}

struct Resolv {
  std::string nameservers;  // "nameserver X\n" lines
  std::string other;        // search, options, ...
};

// The reachable nameservers and the other directives of a resolv.conf text.
Resolv reachable(const std::string& text) {
  Resolv r;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string key, value;
    words >> key >> value;
    if (key.empty() || key[0] == '#' || key[0] == ';') continue;
    if (key == "nameserver") {
      if (!loopback(value)) r.nameservers += "nameserver " + value + "\n";
    } else {
      r.other += line + "\n";
    }
  }
  return r;
}

// Owner on the host of a file the server's root owns.
struct Owner {
  uid_t uid = 0;
  gid_t gid = 0;
};

void write_one(int etc, const std::string& name, const std::string& text, Owner owner) {
  const std::string what = "write /etc/" + name + " of the server";
  // Whatever the upper layer holds there (a symlink included) is replaced.
  if (::unlinkat(etc, name.c_str(), 0) < 0 && errno != ENOENT) throw SysError(what);
  UniqueFd fd(
      ::openat(etc, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) throw SysError(what);
  if ((owner.uid != 0 || owner.gid != 0) && ::fchown(fd.get(), owner.uid, owner.gid) < 0)
    throw SysError(what);
  write_all(fd.get(), text.data(), text.size());
}

}  // namespace

std::string hosts_file(const std::string& hostname) {
  std::string out = "127.0.0.1\tlocalhost\n";
  if (!hostname.empty()) out += "127.0.1.1\t" + hostname + "\n";
  out += "::1\tlocalhost ip6-localhost ip6-loopback\n";
  return out;
}

std::string resolv_conf(const spec::Spec& s, const std::string& host,
                        const std::string& resolved_upstream) {
  std::string head = "# written by vsrv for this server\n";
  if (!s.vsrv.dns.empty()) {
    std::string out = head;
    for (const auto& ns : s.vsrv.dns) out += "nameserver " + ns + "\n";
    return out + reachable(host).other;
  }
  if (s.vsrv.network.mode == "host") return host;
  Resolv r = reachable(host);
  if (r.nameservers.empty()) r.nameservers = reachable(resolved_upstream).nameservers;
  if (r.nameservers.empty()) {
    head += "# no nameserver of the host is reachable from here; set vsrv.dns\n";
  }
  return head + r.nameservers + r.other;
}

void write_server_files(int upper, int lower, const spec::Spec& s) {
  // In a user namespace of its own, ids on the host are the mapped ones.
  const auto& uids = s.linux.uid_mappings;
  const auto& gids = s.linux.gid_mappings;
  struct stat st;
  if (::fstatat(upper, "etc", &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno != ENOENT) throw SysError("server /etc");
    struct stat below;
    bool have = ::fstatat(lower, "etc", &below, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(below.st_mode);
    if (::mkdirat(upper, "etc", 0755) < 0) throw SysError("create the server's /etc");
    if (have && (::fchownat(upper, "etc", isolation::host_id(uids, below.st_uid),
                            isolation::host_id(gids, below.st_gid), AT_SYMLINK_NOFOLLOW) < 0 ||
                 ::fchmodat(upper, "etc", below.st_mode & 07777, 0) < 0)) {
      throw SysError("create the server's /etc");
    }
  } else if (!S_ISDIR(st.st_mode)) {
    return;  // the server replaced its /etc with something else: leave it be
  }
  UniqueFd etc(::openat(upper, "etc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!etc) throw SysError("open the server's /etc");
  const std::string host = try_read_file("/etc/resolv.conf").value_or("");
  const std::string upstream = try_read_file("/run/systemd/resolve/resolv.conf").value_or("");
  const Owner root{isolation::host_id(uids, 0), isolation::host_id(gids, 0)};
  write_one(etc.get(), "hostname", s.hostname.empty() ? "" : s.hostname + "\n", root);
  write_one(etc.get(), "hosts", hosts_file(s.hostname), root);
  write_one(etc.get(), "resolv.conf", resolv_conf(s, host, upstream), root);
}

}  // namespace vsrv::runtime
