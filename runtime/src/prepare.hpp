// Turning a create request into everything needed to build the server,
// with no side effect: spec parsed and validated, bundle and rootfs resolved.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vsrv/base/fd.hpp"
#include "vsrv/runtime/idmap_pool.hpp"
#include "vsrv/runtime/options.hpp"
#include "vsrv/runtime/server.hpp"
#include "vsrv/runtime/spec.hpp"
#include "vsrv/runtime/spec_parser.hpp"

namespace vsrv::runtime {

struct Prepared {
  spec::Spec spec;
  std::vector<std::string> warnings;
  std::string source_name;  // "config.yaml"
  std::string source_text;  // kept in the state dir for exec
  std::string bundle;
  std::string template_name;  // empty: the bundle's root.path is the rootfs
  std::string lower;          // template rootfs (when template_name is set)
  std::string rootfs;         // bundle rootfs, or the overlay mount point
  UniqueFd template_lock;     // shared: `template rm` waits while we build
  // vsrv.idmap: the pool in effect, and the server's range once held
  // (idmap_pool.hpp, server_idmap.hpp).
  std::optional<IdPool> id_pool;
  std::optional<uint32_t> idmap_base;
};

// Where a server's own data lives: DATA/servers/ID/{upper,work,rootfs,console.log}.
std::string server_data_dir(const GlobalOptions& g, const std::string& id);

// A server spec from a file's text: JSON (config.json) is taken as it is, as
// OCI says; YAML is written by people and is read over the default spec, so
// a short file says only what differs.
spec::ParseResult parse_server_spec(const std::string& text, const std::string& source);

Prepared prepare(const GlobalOptions& g, const CreateRequest& req);
// The same from a spec's text: source names it ("config.yaml", "x.json"),
// bundle is absolute, template_name overrides vsrv.template when set.
Prepared prepare_text(const GlobalOptions& g, const std::string& id, const std::string& bundle,
                      const std::string& source, const std::string& text,
                      const std::string& template_name);

// The mount plan of a prepared server; disk_fd: its own disk (server_disk.hpp)
// holding upper/ and work/, or -1 for plain directories.
rootfs::Plan mount_plan(const GlobalOptions& g, const std::string& id, const Prepared& p,
                        bool no_pivot, int disk_fd);

std::string absolute_path(const std::string& path);

}  // namespace vsrv::runtime
