// Parsing of /proc/PID/cgroup and of cgroupsPath values.
#include <cstdlib>

#include "vsrv/base/error.hpp"
#include "vsrv/base/file.hpp"
#include "vsrv/cgroups/parse.hpp"

namespace vsrv::cgroups {

std::vector<SelfCgroupEntry> parse_self_cgroup(const std::string& text) {
  std::vector<SelfCgroupEntry> out;
  for (const std::string& raw : split(text, '\n')) {
    if (raw.empty()) continue;
    // The path may itself hold ':' so split at the first two only.
    size_t a = raw.find(':');
    size_t b = a == std::string::npos ? a : raw.find(':', a + 1);
    if (b == std::string::npos) throw Error("parse /proc/self/cgroup: bad line \"" + raw + "\"");
    SelfCgroupEntry e;
    std::string id = raw.substr(0, a);
    char* end = nullptr;
    long v = std::strtol(id.c_str(), &end, 10);
    if (id.empty() || *end != '\0' || v < 0)
      throw Error("parse /proc/self/cgroup: bad hierarchy id in \"" + raw + "\"");
    e.id = static_cast<int>(v);
    std::string ctrls = raw.substr(a + 1, b - a - 1);
    if (!ctrls.empty()) e.controllers = split(ctrls, ',');
    e.path = raw.substr(b + 1);
    if (e.path.empty() || e.path[0] != '/')
      throw Error("parse /proc/self/cgroup: path is not absolute in \"" + raw + "\"");
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::string> cgroup_path_components(const std::string& path) {
  std::vector<std::string> out;
  for (const std::string& c : split(path, '/')) {
    if (c.empty()) continue;
    if (c == "." || c == "..")
      throw Error(ErrorKind::kUsage, "cgroupsPath \"" + path + "\": \"" + c + "\" is not allowed");
    out.push_back(c);
  }
  if (out.empty()) throw Error(ErrorKind::kUsage, "cgroupsPath \"" + path + "\": names no cgroup");
  return out;
}

void validate_unified_key(const std::string& key) {
  if (key.empty() || key == "." || key == ".." || key.find('/') != std::string::npos ||
      key.find('\0') != std::string::npos)
    throw Error(ErrorKind::kUsage,
                "linux.resources.unified: \"" + key + "\" is not a cgroup file name");
}

std::optional<std::string> key_value(const std::string& text, const std::string& key) {
  for (const std::string& line : split(text, '\n')) {
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 &&
        line[key.size()] == ' ')
      return trim(line.substr(key.size() + 1));
  }
  return std::nullopt;
}

}  // namespace vsrv::cgroups
