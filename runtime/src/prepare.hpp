// Turning a create request into everything needed to build the server,
// with no side effect: spec parsed and validated, bundle and rootfs resolved.
#pragma once

#include <string>
#include <vector>

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
};

// Where a server's own data lives: DATA/servers/ID/{upper,work,rootfs,console.log}.
std::string server_data_dir(const GlobalOptions& g, const std::string& id);

// A server spec from a file's text: JSON (config.json) is taken as it is, as
// OCI says; YAML is written by people and is read over the default spec, so
// a short file says only what differs.
spec::ParseResult parse_server_spec(const std::string& text, const std::string& source);

Prepared prepare(const GlobalOptions& g, const CreateRequest& req);

// The mount plan of a prepared server.
rootfs::Plan mount_plan(const GlobalOptions& g, const std::string& id, const Prepared& p,
                        bool no_pivot);

std::string absolute_path(const std::string& path);

}  // namespace vsrv::runtime
