#include "vsrv/base/stop_point.hpp"

#include <signal.h>

#include <cstdlib>
#include <cstring>

namespace vsrv {

void stop_point(const char* name) {
  static const char* const wanted = std::getenv("VSRV_TEST_STOP_AT");
  if (wanted && std::strcmp(wanted, name) == 0) ::raise(SIGSTOP);
}

}  // namespace vsrv
