// `vsrv start --all-onboot`, run at boot by packaging/vsrv-onboot.service:
// every server whose spec says vsrv: {onboot: true} runs afterwards.
//   created       -> started
//   running       -> left alone
//   stopped, or unknown to --root (a tmpfs: empty after the host booted)
//                 -> built again from DATA/servers/ID/server.json over the
//                    data it kept (upper layer or disk), then started.
// A server that was deleted has no data and is not started.
#pragma once

#include <string>
#include <vector>

#include "vsrv/runtime/options.hpp"

namespace vsrv::runtime {

struct OnbootResult {
  std::string id;
  std::string action;  // "started", "running" (left alone), "failed"
  std::string error;   // when failed
};

std::vector<OnbootResult> start_all_onboot(const GlobalOptions& g);

}  // namespace vsrv::runtime
