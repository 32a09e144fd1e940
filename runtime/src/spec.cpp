#include "vsrv/runtime/spec.hpp"

#include <algorithm>

namespace vsrv::spec {

bool Spec::has_namespace(isolation::NsType type) const {
  return std::any_of(linux.namespaces.begin(), linux.namespaces.end(),
                     [type](const isolation::Namespace& ns) { return ns.type == type; });
}

}  // namespace vsrv::spec
