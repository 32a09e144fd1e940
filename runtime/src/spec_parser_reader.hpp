// Internal to the spec parser: typed reading of yaml-cpp nodes with field
// paths, line numbers and unknown-property warnings.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "vsrv/runtime/spec.hpp"

namespace vsrv::spec::detail {

// Field path -> line of the key (or list element) that introduced it. Lets
// validate() report lines for checks that run after parsing.
using LineMap = std::map<std::string, int>;

std::string join_path(const std::string& path, const std::string& key);
std::string index_path(const std::string& path, size_t index);
// 1-based line of a node, or 0 when the node has no position.
int line_of(const YAML::Node& node);
// "<source>:<line>: <path>: <what>" ("<source>: ..." when line is 0).
std::string format_message(const std::string& source, int line, const std::string& path,
                           const std::string& what);
// The line recorded for path or its nearest recorded parent (0: none).
int find_line(const LineMap& lines, const std::string& path);

struct Ctx {
  std::string source;
  std::vector<std::string> warnings;
  LineMap lines;

  [[noreturn]] void fail(int line, const std::string& path, const std::string& what) const;
  [[noreturn]] void fail(const YAML::Node& node, const std::string& path,
                         const std::string& what) const {
    fail(line_of(node), path, what);
  }
  void warn(int line, const std::string& path, const std::string& what);
};

// One present, non-null value with its path and line.
struct Field {
  YAML::Node node;
  std::string path;
  int line = 0;
};

// A YAML map read field by field; every key not asked for is reported as an
// unknown property by finish().
class Obj {
 public:
  Obj(Ctx& ctx, const Field& field);
  // The value of key, or empty when absent or null (null means "not set").
  std::optional<Field> get(const std::string& key);
  // A field OCI defines that vsrv does not implement: a warning when it
  // carries a value, nothing when it is empty.
  void unsupported(const std::string& key);
  // A field with no meaning on Linux (windows, solaris, ...): ignored silently.
  void ignore(const std::string& key) { known_.insert(key); }
  void finish();

 private:
  Ctx& ctx_;
  Field field_;
  std::set<std::string> known_;
  std::map<std::string, YAML::Node> keys_;  // key text -> key node
};

// Elements of a sequence as Fields ("path[i]"); null or absent -> empty.
std::vector<Field> list(Ctx& ctx, const Field& field, const std::string& what);

// Scalars. The messages name the expected type.
std::string str(Ctx& ctx, const Field& field);
bool boolean(Ctx& ctx, const Field& field);
int64_t int64(Ctx& ctx, const Field& field, int64_t min, int64_t max);
uint64_t uint64(Ctx& ctx, const Field& field, uint64_t max = UINT64_MAX);
inline uint32_t uint32(Ctx& ctx, const Field& field) {
  return static_cast<uint32_t>(uint64(ctx, field, UINT32_MAX));
}
std::vector<std::string> str_list(Ctx& ctx, const Field& field);
std::map<std::string, std::string> str_map(Ctx& ctx, const Field& field);
// Permission bits (umask, a device's fileMode): YAML users write 0022 or
// 0o022; JSON has only decimal numbers (18), which never start with 0.
uint32_t file_mode(Ctx& ctx, const Field& field);
// A size in bytes: an integer or a string parse_size accepts.
int64_t size(Ctx& ctx, const Field& field);
// A plain scalar is one written without quotes (a YAML/JSON number or word).
inline bool is_plain(const YAML::Node& node) {
  return node.Tag() == "?";
}

// Sections, in spec_parser_linux.cpp.
void parse_linux(Ctx& ctx, const Field& field, Linux& out);
// linux.resources sections in spec_parser_devices_io.cpp.
void parse_device_rules(Ctx& ctx, const Field& field, std::vector<cgroups::DeviceRule>& out);
void parse_block_io(Ctx& ctx, const Field& field, cgroups::BlockIoResources& out);
void parse_hugepages(Ctx& ctx, const Field& field, std::vector<cgroups::HugepageLimit>& out);
void parse_network(Ctx& ctx, const Field& field, cgroups::NetworkResources& out);
void parse_rdma(Ctx& ctx, const Field& field, std::map<std::string, cgroups::RdmaLimit>& out);
// linux.resources alone (`vsrv update -r`).
void parse_linux_resources(Ctx& ctx, const Field& field, cgroups::Resources& out);

// What vsrv.network.mode means for linux.namespaces (spec_network.cpp):
// host drops a network namespace the text did not ask for; ns joins its path.
void apply_network_mode(Spec& spec, bool namespaces_written);

// validate() with the line numbers recorded while parsing.
// process_required: the text itself must have a process section (not when
// parsing over a base spec).
void validate_with_lines(const Spec& spec, const std::string& source, const LineMap* lines,
                         bool process_required);

}  // namespace vsrv::spec::detail
