// Hostname and the loopback interface of the server's own namespaces.
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "vsrv/base/error.hpp"
#include "vsrv/base/fd.hpp"
#include "vsrv/isolation/process.hpp"

namespace vsrv::isolation {

void set_hostname(const std::string& hostname) {
  if (::sethostname(hostname.data(), hostname.size()) < 0) {
    throw SysError("set hostname " + hostname);
  }
}

void bring_up_loopback() {
  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) throw SysError("loopback: socket");
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) < 0) throw SysError("loopback: get flags of lo");
  if (ifr.ifr_flags & IFF_UP) return;
  ifr.ifr_flags |= IFF_UP;
  if (::ioctl(sock.get(), SIOCSIFFLAGS, &ifr) < 0) throw SysError("loopback: bring lo up");
}

}  // namespace vsrv::isolation
