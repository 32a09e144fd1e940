// Messages with an optional fd (SCM_RIGHTS) on a SOCK_SEQPACKET socket:
// the handshakes between vsrv and the processes it starts.
#pragma once

#include <string>

#include "vsrv/base/fd.hpp"

namespace vsrv {

struct Message {
  std::string data;  // empty when the peer closed
  UniqueFd fd;
};
void send_message(int sock, const std::string& data, int fd = -1);
Message recv_message(int sock);

}  // namespace vsrv
