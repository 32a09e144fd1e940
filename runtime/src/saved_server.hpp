// What a server was created from, kept with its data under
// DATA/servers/ID/server.json: it outlives --root (a tmpfs, empty after the
// host boots), so `start --all-onboot` can build the server again over the
// same upper layer (or disk), and templates know which servers use them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vsrv/runtime/options.hpp"

namespace vsrv::runtime {

struct SavedServer {
  std::string id;
  std::string template_name;  // empty: the bundle's root.path
  std::string bundle;
  std::string spec_source;  // "config.yaml": tells YAML from JSON
  std::string spec_text;
  bool no_pivot = false;
  bool onboot = false;
  std::optional<uint32_t> idmap_base;  // vsrv.idmap: the range its upper layer's files are owned by
};

std::string saved_server_path(const GlobalOptions& g, const std::string& id);
// Atomically replaces DATA/servers/ID/server.json.
void save_server(const GlobalOptions& g, const SavedServer& s);
// Empty when the server has no saved record (never created, or deleted).
std::optional<SavedServer> load_saved_server(const GlobalOptions& g, const std::string& id);
// Every server with a record, by id; a corrupt record is skipped.
std::vector<SavedServer> saved_servers(const GlobalOptions& g);

}  // namespace vsrv::runtime
