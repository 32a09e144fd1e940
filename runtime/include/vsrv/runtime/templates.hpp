// Server templates under DATA/templates/NAME/rootfs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vsrv/runtime/options.hpp"

namespace vsrv::runtime {

struct TemplateInfo {
  std::string name;
  uint64_t bytes = 0;
  std::vector<std::string> servers;  // servers using it
};

std::string template_rootfs(const GlobalOptions& g, const std::string& name);
void template_busybox(const GlobalOptions& g, const std::string& name);
std::vector<TemplateInfo> template_list(const GlobalOptions& g);
void template_remove(const GlobalOptions& g, const std::string& name);

}  // namespace vsrv::runtime
