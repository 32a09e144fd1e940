// Tables and JSON for people and scripts.
#pragma once

#include <sys/types.h>

#include <vector>

#include "vsrv/runtime/state.hpp"

namespace vsrv::cli {

void print_list(const std::vector<State>& servers, bool quiet, bool json);
void print_processes(const std::vector<pid_t>& pids, bool json);
void print_version();

}  // namespace vsrv::cli
