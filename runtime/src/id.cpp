// Server ids name directories under --root and --data, so they must never
// contain a slash or be "." / ".." (the first character cannot be a dot).
#include <string>

#include "vsrv/base/error.hpp"
#include "vsrv/runtime/spec_parser.hpp"

namespace vsrv::spec {
namespace {

bool alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

void validate_id(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 128 && alnum(id[0]);
  for (size_t i = 1; ok && i < id.size(); ++i) {
    const char c = id[i];
    ok = alnum(c) || c == '_' || c == '.' || c == '-';
  }
  if (!ok) {
    throw Error(ErrorKind::kUsage,
                "invalid server id \"" + id + "\": must match [A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
  }
}

}  // namespace vsrv::spec
