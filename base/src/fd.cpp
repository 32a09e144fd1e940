#include "vsrv/base/fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "vsrv/base/error.hpp"

namespace vsrv {

Pipe Pipe::make() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) throw SysError("pipe");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace vsrv
