// The vsrv: fields for virtual servers: disk (a size) and dns (addresses),
// parsed from YAML and JSON, checked with the field's line, written back.
#include <catch2/catch.hpp>
#include <string>

#include "vsrv/base/error.hpp"
#include "vsrv/runtime/spec_parser.hpp"

using vsrv::spec::default_spec;
using vsrv::spec::parse_over;

namespace {

std::string error_of(const std::string& text) {
  try {
    parse_over(text, "config.yaml", default_spec());
  } catch (const vsrv::Error& e) {
    CHECK(e.kind() == vsrv::ErrorKind::kUsage);
    return e.what();
  }
  FAIL("no error for:\n" << text);
  return "";
}

}  // namespace

TEST_CASE("vsrv.disk takes a size", "[spec][vsrv]") {
  CHECK_FALSE(default_spec().vsrv.disk.has_value());
  auto s = parse_over("vsrv: {disk: 1Gi}\n", "config.yaml", default_spec()).spec;
  REQUIRE(s.vsrv.disk.has_value());
  CHECK(*s.vsrv.disk == (1LL << 30));
  s = parse_over("vsrv:\n  disk: 20000000\n", "config.yaml", default_spec()).spec;
  CHECK(*s.vsrv.disk == 20000000);
  s = parse_over("vsrv: {disk: 1.5G}\n", "config.yaml", default_spec()).spec;
  CHECK(*s.vsrv.disk == 1500000000);
}

TEST_CASE("vsrv.disk errors name the line and the bounds", "[spec][vsrv]") {
  CHECK(error_of("hostname: a\nvsrv:\n  disk: 1Mi\n") ==
        "config.yaml:3: vsrv.disk: must be from 16Mi to 16Ti, got 1048576 bytes");
  CHECK(error_of("vsrv: {disk: 17Ti}\n") ==
        "config.yaml:1: vsrv.disk: must be from 16Mi to 16Ti, got 18691697672192 bytes");
  CHECK(error_of("vsrv:\n  disk: lots\n").rfind("config.yaml:2: vsrv.disk: ", 0) == 0);
  CHECK(error_of("vsrv:\n  disk: -1\n").rfind("config.yaml:2: vsrv.disk: ", 0) == 0);
}

TEST_CASE("vsrv.dns takes addresses", "[spec][vsrv]") {
  auto s =
      parse_over("vsrv: {dns: [192.0.2.53, '2001:db8::53']}\n", "config.yaml", default_spec()).spec;
  CHECK(s.vsrv.dns == std::vector<std::string>{"192.0.2.53", "2001:db8::53"});
  CHECK(error_of("vsrv:\n  dns: [192.0.2.53, example.org]\n") ==
        "config.yaml:2: vsrv.dns[1]: must be an IP address, got \"example.org\"");
}

TEST_CASE("disk and dns survive a JSON round trip", "[spec][vsrv]") {
  auto s = parse_over("vsrv: {disk: 64Mi, dns: [10.0.0.1]}\n", "config.yaml", default_spec()).spec;
  auto back = vsrv::spec::parse(vsrv::spec::to_json(s), "config.json").spec;
  REQUIRE(back.vsrv.disk.has_value());
  CHECK(*back.vsrv.disk == 64LL << 20);
  CHECK(back.vsrv.dns == std::vector<std::string>{"10.0.0.1"});
}

TEST_CASE("the default spec leaves the hostname to the server's id", "[spec][vsrv]") {
  CHECK(default_spec().hostname.empty());
  const std::string yaml = vsrv::spec::default_spec_yaml();
  CHECK(yaml.find("# hostname: web1") != std::string::npos);
  CHECK(yaml.find("# disk: 1Gi") != std::string::npos);
  auto s = parse_over(yaml, "config.yaml", default_spec()).spec;
  CHECK(s.hostname.empty());
}
