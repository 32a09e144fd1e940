// Server templates under DATA/templates/NAME/rootfs: shared read-only lower
// layers. A template is built in DATA/templates/.NAME.tmp-PID and renamed
// into place, so it appears whole or not at all.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "vsrv/base/fd.hpp"
#include "vsrv/runtime/options.hpp"

namespace vsrv::runtime {

struct TemplateInfo {
  std::string name;
  uint64_t bytes = 0;                // disk usage, each inode counted once
  std::vector<std::string> servers;  // servers created on it (not yet deleted)
};

// Bytes done of total (0: unknown), for a progress bar.
using TemplateProgress = std::function<void(uint64_t done, uint64_t total)>;

std::string template_rootfs(const GlobalOptions& g, const std::string& name);
void template_busybox(const GlobalOptions& g, const std::string& name);
// A tar archive (plain, .gz, .xz, .zst, .bz2), unpacked safely (rootfs/template.hpp).
void template_import(const GlobalOptions& g, const std::string& name, const std::string& archive,
                     const TemplateProgress& progress);
// A copy of a directory tree.
void template_add(const GlobalOptions& g, const std::string& name, const std::string& dir,
                  const TemplateProgress& progress);
std::vector<TemplateInfo> template_list(const GlobalOptions& g);
// Refused (kState) while a server uses it.
void template_remove(const GlobalOptions& g, const std::string& name);

// A shared lock on the template, held while a server is being created on it
// so that `template rm` cannot remove it halfway. kUsage when it does not exist.
UniqueFd use_template(const GlobalOptions& g, const std::string& name);

}  // namespace vsrv::runtime
