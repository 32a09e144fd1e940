// The busybox root filesystem and the OCI config both runtimes run: the
// config is `runc spec`'s default, adapted (no terminal, the benchmark's
// args, a relative cgroupsPath, the root path) and given unchanged to vsrv,
// which reads an OCI config.json as is.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime.hpp"

namespace vsrv::bench {

// `vsrv template busybox NAME` into vsrv's --data; returns the template's rootfs.
std::string make_busybox_template(const Runtime& vsrv, const std::string& data_dir,
                                  const std::string& name);

// `cp -a src dst`.
void copy_tree(const std::string& src, const std::string& dst);

// runc's default config.json (`runc spec` in a scratch dir).
nlohmann::json runc_default_spec(const Runtime& runc, const std::string& scratch_dir);

// base with terminal false, process.args, linux.cgroupsPath and root.path set.
// Ambient capabilities are dropped: runc's default lists ambient caps but no
// inheritable ones, so the kernel cannot raise them; runc 1.1.5 silently runs
// without them (CapAmb 0), vsrv refuses the spec. Without them both agree.
nlohmann::json adapt_spec(nlohmann::json base, const std::vector<std::string>& args,
                          const std::string& cgroups_path, const std::string& root_path);

// dir/config.json (dir is created).
void write_bundle(const std::string& dir, const nlohmann::json& config);

}  // namespace vsrv::bench
