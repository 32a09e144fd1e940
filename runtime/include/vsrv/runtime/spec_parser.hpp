// Parsing and validating specs. All errors are found before any side effect.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "vsrv/runtime/spec.hpp"

namespace vsrv::spec {

struct ParseResult {
  Spec spec;
  std::vector<std::string>
      warnings;  // unknown properties: "config.yaml:3: foo: unknown property, ignored"
};

// Parses YAML or JSON text (JSON is read by the same YAML parser). `source`
// names the file in messages. Throws vsrv::Error(kUsage) with exactly one line:
//   "<source>:<line>: <field.path>: <what is wrong>"
// e.g. "config.yaml:7: process.args: must be a non-empty list of strings".
ParseResult parse(const std::string& text, const std::string& source);
// Reads and parses a file; the message names the file's basename as source.
ParseResult parse_file(const std::string& path);

// Like parse(), but onto a copy of base (e.g. default_spec()): every field the
// text sets replaces the base's value, maps merge field by field (writing
// process.args keeps the base's env and capabilities), lists and
// linux.seccomp are replaced whole. The result is validated as a whole, so a
// short YAML like DESIGN.md's example (hostname without namespaces) is valid
// over the default spec. process need not appear in the text.
ParseResult parse_over(const std::string& text, const std::string& source, const Spec& base);

// Reads an OCI linux.resources document alone (YAML or JSON, as `runc update
// -r` takes it), validated like a spec's; errors name the field as
// "linux.resources.<field>" with the line.
struct ResourcesResult {
  cgroups::Resources resources;
  std::vector<std::string> warnings;
};
ResourcesResult parse_resources(const std::string& text, const std::string& source);

// Checks that need the whole spec (duplicate namespaces, mappings required by
// a user namespace, ...). parse() calls it; exposed for specs built in code.
void validate(const Spec& spec, const std::string& source);

// Sizes: "256Mi", "1G", "512k", "1024" (bytes); -1 for unlimited. Throws
// std::invalid_argument on a bad size.
int64_t parse_size(const std::string& text);

// A forwarded port "HOSTPORT:PORT[/tcp|udp]" (tcp when not given); empty
// when the text is not one.
std::optional<PortMap> parse_port_map(const std::string& text);

// Server ids: [A-Za-z0-9][A-Za-z0-9_.-]{0,127}. Throws vsrv::Error(kUsage):
// "invalid server id \"../x\": must match [A-Za-z0-9][A-Za-z0-9_.-]{0,127}".
void validate_id(const std::string& id);

// The default spec: a busybox shell (sh) from the "busybox" template, every
// namespace but user, default mounts, masked and read-only paths, default
// capabilities, no_new_privs, the default seccomp profile.
Spec default_spec();
// The same as a commented YAML document, and as an OCI config.json.
std::string default_spec_yaml();
std::string default_spec_json();

// Any spec as a pretty OCI config.json (with the vsrv section); parse() reads
// it back to the same model.
std::string to_json(const Spec& spec);

}  // namespace vsrv::spec
