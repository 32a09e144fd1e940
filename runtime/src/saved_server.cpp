#include "saved_server.hpp"

#include <dirent.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "prepare.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"

namespace vsrv::runtime {

std::string saved_server_path(const GlobalOptions& g, const std::string& id) {
  return server_data_dir(g, id) + "/server.json";
}

void save_server(const GlobalOptions& g, const SavedServer& s) {
  nlohmann::json j = {{"id", s.id},          {"template", s.template_name},
                      {"bundle", s.bundle},  {"specSource", s.spec_source},
                      {"spec", s.spec_text}, {"noPivot", s.no_pivot},
                      {"onboot", s.onboot}};
  if (s.idmap_base) j["idmapBase"] = *s.idmap_base;
  // No fsync: a create must not wait for the disk. After a host crash a
  // record younger than the filesystem's commit interval may be missing;
  // that server is then not brought back on boot.
  write_file_atomic(saved_server_path(g, s.id), j.dump(2) + "\n", 0600, false);
}

std::optional<SavedServer> load_saved_server(const GlobalOptions& g, const std::string& id) {
  auto text = try_read_file(saved_server_path(g, id));
  if (!text) return std::nullopt;
  try {
    nlohmann::json j = nlohmann::json::parse(*text);
    SavedServer s;
    s.id = j.at("id").get<std::string>();
    s.template_name = j.value("template", "");
    s.bundle = j.value("bundle", "");
    s.spec_source = j.value("specSource", "config.yaml");
    s.spec_text = j.at("spec").get<std::string>();
    s.no_pivot = j.value("noPivot", false);
    s.onboot = j.value("onboot", false);
    if (j.contains("idmapBase")) s.idmap_base = j.at("idmapBase").get<uint32_t>();
    if (s.id != id) throw Error("names server " + s.id);
    return s;
  } catch (const std::exception& e) {
    throw Error(ErrorKind::kState, saved_server_path(g, id) + " is corrupt: " + e.what());
  }
}

std::vector<SavedServer> saved_servers(const GlobalOptions& g) {
  std::vector<SavedServer> out;
  DIR* d = ::opendir((g.data + "/servers").c_str());
  if (!d) return out;
  std::vector<std::string> ids;
  while (auto* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ids.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(ids.begin(), ids.end());
  for (const auto& id : ids) {
    try {
      if (auto s = load_saved_server(g, id)) out.push_back(std::move(*s));
    } catch (const Error&) {
      // Being written or removed right now, or damaged: not a server to count.
    }
  }
  return out;
}

}  // namespace vsrv::runtime
