// libFuzzer target: any bytes given to the spec parser either parse or throw
// vsrv::Error (one line naming the source, line and field). Anything else (a
// crash, a sanitizer report, another exception escaping, an error message
// spanning lines) is a bug. A spec that parses must also survive the round
// trip through to_json() and back, and parse over the default spec.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "vsrv/base/error.hpp"
#include "vsrv/runtime/spec_parser.hpp"

namespace {

void check_message(const vsrv::Error& e) {
  std::string msg = e.what();
  if (msg.empty() || msg.find('\n') != std::string::npos) {
    std::fprintf(stderr, "bad error message: \"%s\"\n", msg.c_str());
    std::abort();
  }
}

const vsrv::spec::Spec& default_spec() {
  static const vsrv::spec::Spec spec = vsrv::spec::default_spec();
  return spec;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    vsrv::spec::ParseResult r = vsrv::spec::parse(text, "fuzz.json");
    std::string json = vsrv::spec::to_json(r.spec);
    try {
      vsrv::spec::parse(json, "roundtrip.json");
    } catch (const vsrv::Error& e) {
      std::fprintf(stderr, "round trip failed: %s\n--- json:\n%s\n", e.what(), json.c_str());
      std::abort();
    }
  } catch (const vsrv::Error& e) {
    check_message(e);
  }
  try {
    vsrv::spec::parse_over(text, "fuzz.yaml", default_spec());
  } catch (const vsrv::Error& e) {
    check_message(e);
  }
  return 0;
}
