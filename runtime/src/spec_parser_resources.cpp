// A linux.resources document on its own (`vsrv update -r FILE`).
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "spec_parser_reader.hpp"
#include "vsrv/base/error.hpp"
#include "vsrv/runtime/spec_parser.hpp"

namespace vsrv::spec {

ResourcesResult parse_resources(const std::string& text, const std::string& source) {
  detail::Ctx ctx;
  ctx.source = source;
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    std::string what = "invalid YAML/JSON: " + e.msg;
    std::replace(what.begin(), what.end(), '\n', ' ');
    throw Error(ErrorKind::kUsage,
                detail::format_message(source, e.mark.line < 0 ? 0 : e.mark.line + 1, "", what));
  }
  const std::string path = "linux.resources";
  if (!doc.IsMap()) ctx.fail(doc, path, "must be a map of resources (memory, cpu, pids, ...)");
  const detail::Field top{doc, path, detail::line_of(doc)};
  ctx.lines[path] = top.line;
  ResourcesResult out;
  detail::parse_linux_resources(ctx, top, out.resources);
  // The same value checks as a spec's, on a spec that only differs there.
  Spec spec = default_spec();
  spec.linux.resources = out.resources;
  detail::validate_with_lines(spec, source, &ctx.lines, false);
  out.warnings = std::move(ctx.warnings);
  return out;
}

}  // namespace vsrv::spec
