#include "libarchive.hpp"

#include <dlfcn.h>

#include <string>

#include "vsrv/base/error.hpp"

namespace vsrv::rootfs::detail {
namespace {

// The soname this build's headers belong to (libarchive 3.x).
constexpr const char* kSoname = "libarchive.so.13";

LibArchive load() {
  void* lib = ::dlopen(kSoname, RTLD_NOW | RTLD_LOCAL);
  if (!lib) throw Error(std::string("template import needs libarchive: ") + ::dlerror());
  LibArchive la;
#define VSRV_LIBARCHIVE_LOAD(name)                                    \
  la.name = reinterpret_cast<decltype(la.name)>(::dlsym(lib, #name)); \
  if (!la.name) throw Error(std::string("template import: ") + kSoname + " lacks " + #name);
  VSRV_LIBARCHIVE_FUNCTIONS(VSRV_LIBARCHIVE_LOAD)
#undef VSRV_LIBARCHIVE_LOAD
  return la;
}

}  // namespace

const LibArchive& libarchive() {
  static const LibArchive la = load();
  return la;
}

}  // namespace vsrv::rootfs::detail
