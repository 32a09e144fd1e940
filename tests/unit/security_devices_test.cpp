// linux.devices in the spec: parsed into the model, checked before anything
// is made (paths below /dev only, each once; types; numbers; modes).
#include <catch2/catch.hpp>
#include <string>

#include "vsrv/base/error.hpp"
#include "vsrv/runtime/spec_parser.hpp"

namespace {

const std::string kHead = "process: {args: [sh]}\nlinux:\n  devices:\n";

vsrv::spec::ParseResult parse(const std::string& devices) {
  return vsrv::spec::parse_over(kHead + devices, "config.yaml", vsrv::spec::default_spec());
}

std::string error_of(const std::string& devices) {
  try {
    parse(devices);
  } catch (const vsrv::Error& e) {
    CHECK(e.kind() == vsrv::ErrorKind::kUsage);
    return e.what();
  }
  FAIL("accepted: " << devices);
  return "";
}

}  // namespace

TEST_CASE("devices are parsed with their defaults", "[security][devices]") {
  auto r = parse(
      "    - {path: /dev/fuse, type: c, major: 10, minor: 229, fileMode: 0620, uid: 1, gid: 2}\n"
      "    - {path: /dev/net/tun, type: u, major: 10, minor: 200}\n"
      "    - {path: /dev/loop9, type: b, major: 7, minor: 9, fileMode: 432}\n"
      "    - {path: /dev/ctl, type: p}\n");
  CHECK(r.warnings.empty());
  const auto& d = r.spec.linux.devices;
  REQUIRE(d.size() == 4);
  CHECK(d[0].path == "/dev/fuse");
  CHECK(d[0].type == 'c');
  CHECK(d[0].major == 10);
  CHECK(d[0].minor == 229);
  CHECK(d[0].file_mode == 0620u);
  CHECK(d[0].uid == 1u);
  CHECK(d[0].gid == 2u);
  CHECK(d[1].type == 'u');
  CHECK_FALSE(d[1].file_mode.has_value());
  CHECK_FALSE(d[1].uid.has_value());
  CHECK(d[2].type == 'b');
  CHECK(d[2].file_mode == 0660u);  // JSON style decimal
  CHECK(d[3].type == 'p');
  CHECK(d[3].major == 0);
}

TEST_CASE("the OCI JSON form of devices", "[security][devices]") {
  auto r = vsrv::spec::parse(R"({"ociVersion": "1.0.2", "process": {"args": ["sh"]},
  "linux": {"devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
                         "fileMode": 438, "uid": 0, "gid": 0}]}})",
                             "config.json");
  REQUIRE(r.spec.linux.devices.size() == 1);
  CHECK(r.spec.linux.devices[0].file_mode == 0666u);
}

TEST_CASE("bad devices are refused, naming the field and line", "[security][devices]") {
  CHECK(error_of("    - {path: /etc/shadow, type: c, major: 1, minor: 3}\n") ==
        "config.yaml:4: linux.devices[0].path: must be an absolute path below /dev, got "
        "\"/etc/shadow\"");
  CHECK(error_of("    - {path: dev/null, type: c, major: 1, minor: 3}\n").find("below /dev") !=
        std::string::npos);
  CHECK(error_of("    - {path: /dev/../etc/x, type: c, major: 1, minor: 3}\n").find("below /dev") !=
        std::string::npos);
  CHECK(error_of("    - {path: /dev, type: c, major: 1, minor: 3}\n").find("below /dev") !=
        std::string::npos);
  CHECK(error_of("    - {path: /dev/x, type: s, major: 1, minor: 3}\n") ==
        "config.yaml:4: linux.devices[0].type: unknown device type \"s\" (use c, u, b or p)");
  CHECK(error_of("    - {path: /dev/x, type: c, minor: 3}\n") ==
        "config.yaml:4: linux.devices[0].major: required for a type c device");
  CHECK(error_of("    - {path: /dev/x, type: b, major: 3}\n") ==
        "config.yaml:4: linux.devices[0].minor: required for a type b device");
  CHECK(error_of("    - {path: /dev/x, type: c, major: 4096, minor: 3}\n")
            .find("linux.devices[0].major: must be an integer from 0 to 4095") !=
        std::string::npos);
  CHECK(error_of("    - {path: /dev/x, type: c, major: 1, minor: -1}\n")
            .find("linux.devices[0].minor") != std::string::npos);
  CHECK(error_of("    - {path: /dev/x, type: c, major: 1, minor: 3, fileMode: 04755}\n")
            .find("linux.devices[0].fileMode: must be a file mode") != std::string::npos);
  CHECK(error_of("    - {type: c, major: 1, minor: 3}\n") ==
        "config.yaml:4: linux.devices[0].path: required");
  CHECK(error_of("    - {path: /dev/x, type: c, major: 1, minor: 3}\n"
                 "    - {path: /dev//x/, type: p}\n") ==
        "config.yaml:5: linux.devices[1].path: duplicate device \"/dev//x/\"");
}
