#include "vsrv/base/error.hpp"

#include <cerrno>
#include <cstring>

namespace vsrv {

SysError::SysError(const std::string& what, int err)
    : Error(ErrorKind::kSystem, what + ": " + std::strerror(err)), err_(err) {}

SysError::SysError(const std::string& what) : SysError(what, errno) {}

}  // namespace vsrv
