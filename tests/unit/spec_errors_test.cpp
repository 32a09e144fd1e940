// Bad specs and bad server ids: each must fail with exactly one line naming
// the source, the line, the field path and what is wrong.
#include <catch2/catch.hpp>
#include <string>

#include "vsrv/base/error.hpp"
#include "vsrv/runtime/spec_parser.hpp"

using vsrv::spec::parse;

namespace {

// The message of the error parse() throws; fails the test when it parses.
std::string error_of(const std::string& text, const std::string& source = "config.yaml") {
  try {
    parse(text, source);
  } catch (const vsrv::Error& e) {
    CHECK(e.kind() == vsrv::ErrorKind::kUsage);
    const std::string msg = e.what();
    CHECK(msg.find('\n') == std::string::npos);
    return msg;
  }
  FAIL("no error for:\n" << text);
  return "";
}

std::string id_error(const std::string& id) {
  try {
    vsrv::spec::validate_id(id);
  } catch (const vsrv::Error& e) {
    CHECK(e.kind() == vsrv::ErrorKind::kUsage);
    return e.what();
  }
  FAIL("no error for id " << id);
  return "";
}

}  // namespace

TEST_CASE("document-level errors", "[spec][errors]") {
  CHECK(error_of("process: {args: [sh]\nhostname: x\n") ==
        "config.yaml:2: invalid YAML: end of map flow not found");
  CHECK(error_of("process:\n\targs: [sh]\n") ==
        "config.yaml:2: invalid YAML: illegal map value (tabs cannot indent YAML; use spaces)");
  CHECK(error_of("process: {args: [sh]}\n? [a]\n: b\n") ==
        "config.yaml:2: top level: keys must be strings");
  CHECK(error_of("- a\n- b\n") == "config.yaml:1: top level: must be a map of spec fields");
  CHECK(error_of("") ==
        "config.yaml:1: top level: must be a map of spec fields, the document is empty");
  CHECK(error_of("ociVersion: 1.0.2\nroot: {path: rootfs}\n") ==
        "config.yaml:1: process: required");
  CHECK(error_of("process: {args: [sh]}\nprocess: {args: [ls]}\n") ==
        "config.yaml:2: process: duplicate key");
  CHECK(error_of("process: [sh]\n") == "config.yaml:1: process: must be a map");
  CHECK(error_of("process: {args: [sh]}\nociVersion: [1]\n") ==
        "config.yaml:2: ociVersion: must be a string");
}

TEST_CASE("process errors", "[spec][errors]") {
  CHECK(error_of("ociVersion: 1.0.2\nprocess:\n  args: sh\n") ==
        "config.yaml:3: process.args: must be a non-empty list of strings");
  CHECK(error_of("process:\n  cwd: /\n") ==
        "config.yaml:1: process.args: must be a non-empty list of strings");
  CHECK(error_of("process:\n  args: []\n") ==
        "config.yaml:2: process.args: must be a non-empty list of strings");
  CHECK(error_of("process:\n  args: [sh, [x]]\n") ==
        "config.yaml:2: process.args[1]: must be a string");
  CHECK(error_of("{\"process\": {\"args\": \"sh\"}}", "config.json") ==
        "config.json:1: process.args: must be a non-empty list of strings");
  CHECK(error_of("process: {args: [sh], terminal: yes}\n") ==
        "config.yaml:1: process.terminal: must be true or false");
  CHECK(error_of("process: {args: [sh], terminal: \"true\"}\n") ==
        "config.yaml:1: process.terminal: must be true or false");
  CHECK(error_of("process:\n  args: [sh]\n  cwd: tmp\n") ==
        "config.yaml:3: process.cwd: must be an absolute path, got \"tmp\"");
  CHECK(error_of("process:\n  args: [sh]\n  env:\n    - A=1\n    - NOVALUE\n") ==
        "config.yaml:5: process.env[1]: must be KEY=VALUE, got \"NOVALUE\"");
  CHECK(error_of("process:\n  args: [sh]\n  env: [\"=x\"]\n") ==
        "config.yaml:3: process.env[0]: must be KEY=VALUE, got \"=x\"");
  CHECK(error_of("process:\n  args: [sh]\n  user: {uid: -1}\n") ==
        "config.yaml:3: process.user.uid: must be an integer from 0 to 4294967295");
  CHECK(error_of("process:\n  args: [sh]\n  user: {uid: \"0\"}\n") ==
        "config.yaml:3: process.user.uid: must be an integer from 0 to 4294967295");
  CHECK(error_of("process:\n  args: [sh]\n  user: {umask: 0999}\n") ==
        "config.yaml:3: process.user.umask: must be a file mode from 0 to 0777 (octal like 0022, "
        "or decimal)");
  CHECK(error_of("process:\n  args: [sh]\n  oomScoreAdj: 2000\n") ==
        "config.yaml:3: process.oomScoreAdj: must be an integer from -1000 to 1000");
}

TEST_CASE("rlimit and capability errors", "[spec][errors]") {
  CHECK(error_of(
            "process:\n  args: [sh]\n  rlimits:\n    - {type: RLIMIT_FOO, soft: 1, hard: 1}\n") ==
        "config.yaml:4: process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"");
  CHECK(
      error_of(
          "process:\n  args: [sh]\n  rlimits:\n    - {type: RLIMIT_NOFILE, soft: 10, hard: 5}\n") ==
      "config.yaml:4: process.rlimits[0]: soft limit 10 is above hard limit 5");
  CHECK(error_of("process:\n  args: [sh]\n  rlimits:\n    - {type: RLIMIT_NOFILE, soft: 1}\n") ==
        "config.yaml:4: process.rlimits[0].hard: required");
  CHECK(
      error_of("process:\n  args: [sh]\n  rlimits:\n    - {type: RLIMIT_NOFILE, soft: 1, hard: 1}\n"
               "    - {type: RLIMIT_NOFILE, soft: 2, hard: 2}\n") ==
      "config.yaml:5: process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"");
  CHECK(error_of("process:\n  args: [sh]\n  capabilities:\n    bounding: [CAP_CHOWN]\n"
                 "    effective:\n      - CAP_KILL\n      - CAP_FLY\n") ==
        "config.yaml:7: process.capabilities.effective[1]: unknown capability \"CAP_FLY\"");
}

TEST_CASE("root and mount errors", "[spec][errors]") {
  CHECK(error_of("process: {args: [sh]}\nroot:\n  path: ../x\n") ==
        "config.yaml:3: root.path: must stay inside the bundle (a \"..\" climbs out of it)");
  CHECK(error_of("process: {args: [sh]}\nroot:\n  path: a/../../x\n") ==
        "config.yaml:3: root.path: must stay inside the bundle (a \"..\" climbs out of it)");
  CHECK(error_of("process: {args: [sh]}\nroot: {path: \"\"}\n") ==
        "config.yaml:2: root.path: must not be empty");
  const std::string head = "process: {args: [sh]}\nmounts:\n  - {destination: /proc, type: proc}\n";
  CHECK(error_of(head + "  - {destination: tmp, type: tmpfs}\n") ==
        "config.yaml:4: mounts[1].destination: must be an absolute path, got \"tmp\"");
  CHECK(error_of(head + "  - {destination: /., type: tmpfs}\n") ==
        "config.yaml:4: mounts[1].destination: must not be \"/\"");
  CHECK(error_of(head + "  - {destination: /a/../../etc, type: tmpfs}\n") ==
        "config.yaml:4: mounts[1].destination: must stay inside the root (a \"..\" climbs out of "
        "it)");
  CHECK(error_of(head + "  - {destination: /x, type: tmpfs, options: [nosuid, sparkly]}\n") ==
        "config.yaml:4: mounts[1].options[1]: unknown mount option \"sparkly\"");
  CHECK(error_of(head + "  - {destination: /x, options: [rbind]}\n") ==
        "config.yaml:4: mounts[1].source: required for a bind mount");
  CHECK(error_of(head + "  - {destination: /x, source: /y}\n") ==
        "config.yaml:4: mounts[1].type: required (or a bind or rbind option)");
  CHECK(error_of(head + "  - {type: tmpfs}\n") == "config.yaml:4: mounts[1].destination: required");
  CHECK(error_of("process: {args: [sh]}\nmounts: {destination: /x}\n") ==
        "config.yaml:2: mounts: must be a list of mounts");
  CHECK(error_of("process: {args: [sh]}\nhooks:\n  prestart:\n    - path: hook.sh\n") ==
        "config.yaml:4: hooks.prestart[0].path: must be an absolute path, got \"hook.sh\"");
  CHECK(error_of(
            "process: {args: [sh]}\nhooks:\n  poststop:\n    - {path: /bin/true, timeout: 0}\n") ==
        "config.yaml:4: hooks.poststop[0].timeout: must be greater than zero");
}

TEST_CASE("namespace, mapping and hostname errors", "[spec][errors]") {
  const std::string head = "process: {args: [sh]}\nlinux:\n  namespaces:\n";
  CHECK(error_of(head + "    - type: pid\n    - type: spaceship\n") ==
        "config.yaml:5: linux.namespaces[1].type: unknown namespace type \"spaceship\"");
  CHECK(error_of(head + "    - type: pid\n    - type: uts\n    - type: ipc\n    - type: pid\n") ==
        "config.yaml:7: linux.namespaces[3].type: duplicate namespace \"pid\"");
  CHECK(error_of(head + "    - {type: network, path: run/netns/x}\n") ==
        "config.yaml:4: linux.namespaces[0].path: must be an absolute path, got \"run/netns/x\"");
  CHECK(error_of(
            head +
            "    - type: pid\n  uidMappings: [{containerID: 0, hostID: 100000, size: 65536}]\n") ==
        "config.yaml:5: linux.uidMappings: needs a user namespace in linux.namespaces");
  CHECK(error_of(head + "    - type: pid\n    - type: user\n") ==
        "config.yaml:5: linux.namespaces[1].type: a user namespace needs linux.uidMappings and "
        "linux.gidMappings (or vsrv.idmap: auto)");
  CHECK(error_of(head +
                 "    - type: user\n  uidMappings: [{containerID: 0, hostID: 100000, size: 0}]\n"
                 "  gidMappings: [{containerID: 0, hostID: 100000, size: 1}]\n") ==
        "config.yaml:5: linux.uidMappings[0].size: must be greater than zero");
  CHECK(error_of(head + "    - type: user\n  uidMappings: [{containerID: 0, size: 1}]\n") ==
        "config.yaml:5: linux.uidMappings[0].hostID: required");
  CHECK(error_of(head +
                 "    - type: user\n  uidMappings: [{containerID: 0, hostID: 1, size: 1}]\n"
                 "  gidMappings: [{containerID: 0, hostID: 1, size: 1}]\nvsrv: {idmap: auto}\n") ==
        "config.yaml:7: vsrv.idmap: auto cannot be combined with linux.uidMappings or "
        "linux.gidMappings");
  CHECK(error_of(head + "    - {type: mount}\n    - {type: user, path: /proc/1/ns/user}\n"
                        "vsrv: {idmap: auto}\n") ==
        "config.yaml:5: linux.namespaces[1].path: a user namespace joined by path cannot be "
        "combined with vsrv.idmap: auto");
  CHECK(error_of(head + "    - type: user\nvsrv: {idmap: auto}\n") ==
        "config.yaml:5: vsrv.idmap: auto needs a mount namespace of the server's own "
        "(linux.namespaces)");
  CHECK(error_of("process: {args: [sh]}\nhostname: web1\nlinux:\n  namespaces: [{type: pid}]\n") ==
        "config.yaml:2: hostname: needs a uts namespace in linux.namespaces");
  CHECK(error_of("process: {args: [sh]}\nhostname: web_1\nlinux:\n  namespaces: [{type: uts}]\n") ==
        "config.yaml:2: hostname: invalid hostname \"web_1\" (at most 64 letters, digits, dots and "
        "dashes)");
  CHECK(error_of("process: {args: [sh]}\nhostname: " + std::string(65, 'h') +
                 "\nlinux:\n  namespaces: [{type: uts}]\n") ==
        "config.yaml:2: hostname: invalid hostname \"" + std::string(65, 'h') +
            "\" (at most 64 letters, digits, dots and dashes)");
}

TEST_CASE("linux paths, propagation and sysctl errors", "[spec][errors]") {
  CHECK(error_of("process: {args: [sh]}\nlinux:\n  cgroupsPath: vsrv/../../escape\n") ==
        "config.yaml:3: linux.cgroupsPath: must not contain \"..\"");
  CHECK(error_of("process: {args: [sh]}\nlinux:\n  maskedPaths: [/proc/kcore, proc/keys]\n") ==
        "config.yaml:3: linux.maskedPaths[1]: must be an absolute path, got \"proc/keys\"");
  CHECK(error_of("process: {args: [sh]}\nlinux:\n  readonlyPaths:\n    - sys\n") ==
        "config.yaml:4: linux.readonlyPaths[0]: must be an absolute path, got \"sys\"");
  CHECK(error_of("process: {args: [sh]}\nlinux:\n  rootfsPropagation: sideways\n") ==
        "config.yaml:3: linux.rootfsPropagation: unknown propagation \"sideways\" (use private, "
        "rprivate, slave, rslave, shared, rshared, unbindable or runbindable)");
  CHECK(error_of("process: {args: [sh]}\nlinux:\n  sysctl: [net.ipv4.ip_forward]\n") ==
        "config.yaml:3: linux.sysctl: must be a map of strings");
}

TEST_CASE("resource errors", "[spec][errors]") {
  const std::string head = "process: {args: [sh]}\nlinux:\n  resources:\n";
  CHECK(error_of("ociVersion: 1.0.2\nhostname: a\nlinux:\n  namespaces: [{type: uts}]\n"
                 "  resources:\n    pids: {limit: 10}\n    memory:\n\n      limit: 12XB\n"
                 "process: {args: [sh]}\n") ==
        "config.yaml:9: linux.resources.memory.limit: invalid size \"12XB\" (use bytes or a number "
        "with k, M, G, Ki, Mi, Gi)");
  CHECK(
      error_of(head + "    memory: {limit: 100}\n") ==
      "config.yaml:4: linux.resources.memory.limit: must be -1 (unlimited) or at least 4096 bytes");
  CHECK(
      error_of(head + "    memory: {swap: -2}\n") ==
      "config.yaml:4: linux.resources.memory.swap: invalid size \"-2\" (use bytes or a number with "
      "k, M, G, Ki, Mi, Gi)");
  CHECK(
      error_of(head + "    memory: {limit: 1Gi, swap: 512Mi}\n") ==
      "config.yaml:4: linux.resources.memory.swap: must be at least memory.limit (OCI swap counts "
      "memory plus swap)");
  CHECK(error_of(head + "    cpu: {shares: 1}\n") ==
        "config.yaml:4: linux.resources.cpu.shares: must be from 2 to 262144");
  CHECK(error_of(head + "    cpu: {quota: 10}\n") ==
        "config.yaml:4: linux.resources.cpu.quota: must be -1 (unlimited) or at least 1000 "
        "microseconds of quota");
  CHECK(error_of(head + "    cpu: {cpus: 0.001}\n") ==
        "config.yaml:4: linux.resources.cpu.cpus: must be -1 (unlimited) or at least 1000 "
        "microseconds of quota");
  CHECK(error_of(head + "    cpu: {period: 10}\n") ==
        "config.yaml:4: linux.resources.cpu.period: must be from 1000 to 1000000 microseconds");
  CHECK(error_of(head + "    cpu: {cpus: 0}\n") ==
        "config.yaml:4: linux.resources.cpu.cpus: a CPU count must be greater than 0 (quote a "
        "cpuset: "
        "\"0\")");
  CHECK(error_of(head + "    cpu: {cpus: 1.5, quota: 5000}\n") ==
        "config.yaml:4: linux.resources.cpu.cpus: a CPU count cannot be combined with cpu.quota");
  CHECK(error_of(head + "    cpu: {cpus: \"3-1\"}\n") ==
        "config.yaml:4: linux.resources.cpu.cpus: invalid cpuset \"3-1\" (use a list like 0-3,5)");
  CHECK(error_of(head + "    cpu: {shares: 1.5}\n") ==
        "config.yaml:4: linux.resources.cpu.shares: must be a non-negative integer");
  CHECK(
      error_of(head + "    pids:\n      limit: -5\n") ==
      "config.yaml:5: linux.resources.pids.limit: must be -1 (unlimited) or a non-negative number");
  CHECK(error_of(head + "    memory: 256Mi\n") ==
        "config.yaml:4: linux.resources.memory: must be a map");
}

TEST_CASE("device rule, blockIO, hugepage, network and rdma errors", "[spec][errors]") {
  const std::string head = "process: {args: [sh]}\nlinux:\n  resources:\n";
  const std::string dev = head + "    devices:\n      - ";
  CHECK(error_of(dev + "{type: c, major: 1, minor: 3}\n") ==
        "config.yaml:5: linux.resources.devices[0].allow: required");
  CHECK(
      error_of(dev + "{allow: true, type: x}\n") ==
      "config.yaml:5: linux.resources.devices[0].type: unknown device type \"x\" (use a, b or c)");
  CHECK(error_of(dev + "{allow: true, type: c, major: 10, minor: 183, access: rx}\n") ==
        "config.yaml:5: linux.resources.devices[0].access: invalid access \"rx\" (use r, w and m)");
  CHECK(error_of(dev + "{allow: true, type: c, major: 10, minor: 183, access: \"\"}\n") ==
        "config.yaml:5: linux.resources.devices[0].access: invalid access \"\" (use r, w and m)");
  CHECK(error_of(dev + "{allow: true, type: c, major: 4096}\n") ==
        "config.yaml:5: linux.resources.devices[0].major: must be an integer from -1 to 4095");
  CHECK(error_of(dev + "{allow: true, type: c, minor: 1048576}\n") ==
        "config.yaml:5: linux.resources.devices[0].minor: must be an integer from -1 to 1048575");
  CHECK(error_of(dev + "{allow: true, major: 1}\n") ==
        "config.yaml:5: linux.resources.devices[0].major: not allowed with type a (every device)");
  CHECK(error_of(dev + "{allow: false, type: a, access: r}\n") ==
        "config.yaml:5: linux.resources.devices[0].access: type a (every device) takes access rwm: "
        "the device cgroup resets every rule for it");
  CHECK(error_of(dev + "{allow: true, type: c, major: 10, minor: 183}\n      - "
                       "{allow: false, type: c, major: 10, minor: 183, access: m}\n") ==
        "config.yaml:6: linux.resources.devices[1]: cannot deny \"c 10:183 m\" while \"c *:* m\" "
        "allows it: the device cgroup keeps whole rules and cannot cut a hole in a wider one");
  CHECK(error_of(head + "    devices: {allow: true}\n") ==
        "config.yaml:4: linux.resources.devices: must be a list of {allow, type, major, minor, "
        "access}");

  const std::string io = head + "    blockIO:\n";
  CHECK(error_of(io + "      weight: 5\n") ==
        "config.yaml:5: linux.resources.blockIO.weight: must be from 10 to 1000");
  CHECK(error_of(io + "      leafWeight: 1001\n") ==
        "config.yaml:5: linux.resources.blockIO.leafWeight: must be from 10 to 1000");
  CHECK(error_of(io + "      weight: 70000\n") ==
        "config.yaml:5: linux.resources.blockIO.weight: must be an integer from 0 to 65535");
  CHECK(error_of(io + "      weightDevice:\n        - {major: 8, minor: 0, weight: 2}\n") ==
        "config.yaml:6: linux.resources.blockIO.weightDevice[0].weight: must be from 10 to 1000");
  CHECK(error_of(io + "      throttleReadBpsDevice:\n        - {major: 7, rate: 1Mi}\n") ==
        "config.yaml:6: linux.resources.blockIO.throttleReadBpsDevice[0].minor: required");
  CHECK(
      error_of(io + "      throttleWriteBpsDevice:\n        - {major: 7, minor: 0, rate: 1Mx}\n") ==
      "config.yaml:6: linux.resources.blockIO.throttleWriteBpsDevice[0].rate: invalid size "
      "\"1Mx\" (use bytes or a number with k, M, G, Ki, Mi, Gi)");
  CHECK(
      error_of(io + "      throttleWriteBpsDevice:\n        - {major: 7, minor: 0, rate: -1}\n") ==
      "config.yaml:6: linux.resources.blockIO.throttleWriteBpsDevice[0].rate: must be 0 (no "
      "limit) or bytes per second");
  CHECK(
      error_of(io + "      throttleReadIOPSDevice:\n        - {major: 7, minor: 0, rate: 1k}\n") ==
      "config.yaml:6: linux.resources.blockIO.throttleReadIOPSDevice[0].rate: must be a "
      "non-negative integer");

  CHECK(error_of(head + "    hugepageLimits: [{pageSize: 2M, limit: 1Gi}]\n") ==
        "config.yaml:4: linux.resources.hugepageLimits[0].pageSize: invalid page size \"2M\" (use "
        "e.g. 2MB or 1GB)");
  CHECK(error_of(head + "    hugepageLimits: [{pageSize: 02MB, limit: 1Gi}]\n") ==
        "config.yaml:4: linux.resources.hugepageLimits[0].pageSize: invalid page size \"02MB\" "
        "(use e.g. 2MB or 1GB)");
  CHECK(error_of(head + "    hugepageLimits: [{pageSize: 2MB}]\n") ==
        "config.yaml:4: linux.resources.hugepageLimits[0].limit: required");
  CHECK(error_of(head + "    network: {classID: -1}\n") ==
        "config.yaml:4: linux.resources.network.classID: must be an integer from 0 to 4294967295");
  CHECK(error_of(head + "    network: {priorities: [{name: eth0}]}\n") ==
        "config.yaml:4: linux.resources.network.priorities[0].priority: required");
  CHECK(error_of(head + "    rdma: {mlx5_0: {hcaHandles: x}}\n") ==
        "config.yaml:4: linux.resources.rdma.mlx5_0.hcaHandles: must be an integer from 0 to "
        "4294967295");
  CHECK(error_of(head + "    rdma: {\"mlx\xc6\xc6\": {hcaHandles: 1}}\n") ==
        "config.yaml:4: linux.resources.rdma: must be valid UTF-8");
  CHECK(error_of(head + "    rdma: [mlx5_0]\n") ==
        "config.yaml:4: linux.resources.rdma: must be a map");
}

TEST_CASE("seccomp errors", "[spec][errors]") {
  const std::string head = "process: {args: [sh]}\nlinux:\n  seccomp:\n";
  CHECK(error_of(head + "    defaultAction: SCMP_ACT_EXPLODE\n") ==
        "config.yaml:4: linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_EXPLODE\"");
  CHECK(error_of(head + "    architectures: [SCMP_ARCH_X86_64]\n") ==
        "config.yaml:3: linux.seccomp.defaultAction: required");
  CHECK(
      error_of(head + "    defaultAction: SCMP_ACT_ERRNO\n    architectures: [SCMP_ARCH_Z80]\n") ==
      "config.yaml:5: linux.seccomp.architectures[0]: unknown seccomp architecture "
      "\"SCMP_ARCH_Z80\"");
  CHECK(error_of(head + "    defaultAction: SCMP_ACT_ERRNO\n    syscalls:\n"
                        "      - {names: [read], action: SCMP_ACT_ALLOW}\n"
                        "      - {names: [write], action: ALLOW}\n") ==
        "config.yaml:7: linux.seccomp.syscalls[1].action: unknown seccomp action \"ALLOW\"");
  CHECK(error_of(head + "    defaultAction: SCMP_ACT_ERRNO\n    syscalls:\n"
                        "      - names: [personality]\n        action: SCMP_ACT_ALLOW\n"
                        "        args:\n          - {index: 0, value: 8, op: SCMP_CMP_ALMOST}\n") ==
        "config.yaml:9: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator "
        "\"SCMP_CMP_ALMOST\"");
  CHECK(error_of(head +
                 "    defaultAction: SCMP_ACT_ERRNO\n    flags: [SECCOMP_FILTER_FLAG_FAST]\n") ==
        "config.yaml:5: linux.seccomp.flags[0]: unknown seccomp flag \"SECCOMP_FILTER_FLAG_FAST\"");
}

TEST_CASE("vsrv section errors", "[spec][errors]") {
  const std::string head = "process: {args: [sh]}\n";
  CHECK(error_of(head + "vsrv:\n  network: wormhole\n") ==
        "config.yaml:3: vsrv.network.mode: unknown network mode \"wormhole\" (use none, host, "
        "bridge, "
        "routed or ns)");
  CHECK(error_of(head + "linux: {namespaces: [{type: network}]}\nvsrv:\n  network: {mode: bridge, "
                        "address: 10.0.0.300/24}\n") ==
        "config.yaml:4: vsrv.network.address: must be auto or an IPv4 address with a prefix like "
        "10.0.0.2/24, got \"10.0.0.300/24\"");
  const std::string bridge = head + "linux: {namespaces: [{type: network}]}\nvsrv:\n  network: ";
  CHECK(error_of(bridge + "{mode: bridge, address6: 10.0.0.2/24}\n") ==
        "config.yaml:4: vsrv.network.address6: must be auto or an IPv6 address with a prefix like "
        "fd00::2/64, got \"10.0.0.2/24\"");
  CHECK(error_of(bridge + "{mode: bridge, ports: [\"80:80\", \"80:8080/tcp\"]}\n") ==
        "config.yaml:4: vsrv.network.ports[1]: host port 80/tcp is forwarded twice");
  CHECK(error_of(bridge + "{mode: bridge, ports: [\"80:70000\"]}\n") ==
        "config.yaml:4: vsrv.network.ports[0]: must be HOSTPORT:PORT[/tcp|udp] like 8080:80/tcp");
  CHECK(error_of(bridge + "{mode: bridge, mtu: 20}\n") ==
        "config.yaml:4: vsrv.network.mtu: must be an integer from 68 to 65535");
  CHECK(error_of(head + "vsrv:\n  network: bridge\n") ==
        "config.yaml:3: vsrv.network.mode: bridge needs a network namespace in linux.namespaces");
  CHECK(error_of(head + "linux: {namespaces: [{type: network}]}\nvsrv: {network: host}\n") ==
        "config.yaml:3: vsrv.network.mode: host cannot be used with a network namespace in "
        "linux.namespaces");
  CHECK(error_of(head + "vsrv:\n  network: {mode: ns}\n") ==
        "config.yaml:3: vsrv.network.path: mode ns needs the absolute path of a network namespace");
  CHECK(error_of(head + "vsrv:\n  network: [bridge]\n") ==
        "config.yaml:3: vsrv.network: must be a mode (none, host, bridge, routed, ns) or a map");
  CHECK(error_of(head + "vsrv:\n  restart: sometimes\n") ==
        "config.yaml:3: vsrv.restart: unknown restart policy \"sometimes\" (use no, on-reboot or "
        "always)");
  CHECK(error_of(head + "vsrv:\n  stopSignal: SIGNOPE\n") ==
        "config.yaml:3: vsrv.stopSignal: unknown signal \"SIGNOPE\"");
  CHECK(error_of(head + "vsrv:\n  stopSignal: 99\n") ==
        "config.yaml:3: vsrv.stopSignal: must be an integer from 1 to 64");
  CHECK(error_of(head + "vsrv:\n  idmap: true\n") ==
        "config.yaml:3: vsrv.idmap: must be auto or false");
  CHECK(error_of(head + "vsrv:\n  onboot: maybe\n") ==
        "config.yaml:3: vsrv.onboot: must be true or false");
}

TEST_CASE("validate() on a spec built in code names the source without a line", "[spec][errors]") {
  vsrv::spec::Spec spec;
  spec.process.args = {"sh"};
  spec.process.cwd = "relative";
  try {
    vsrv::spec::validate(spec, "built-in");
    FAIL("validate accepted a relative cwd");
  } catch (const vsrv::Error& e) {
    CHECK(std::string(e.what()) ==
          "built-in: process.cwd: must be an absolute path, got \"relative\"");
  }
  spec.process.cwd = "/";
  spec.linux.resources.memory.limit = -7;
  CHECK_THROWS_WITH(vsrv::spec::validate(spec, "built-in"),
                    "built-in: linux.resources.memory.limit: must be -1 (unlimited) or at least "
                    "4096 bytes");
  spec.linux.resources.memory.limit = 4096;
  CHECK_NOTHROW(vsrv::spec::validate(spec, "built-in"));
}

TEST_CASE("server ids", "[spec][id]") {
  const std::string rule = "must match [A-Za-z0-9][A-Za-z0-9_.-]{0,127}";
  CHECK(id_error("") == "invalid server id \"\": " + rule);
  CHECK(id_error("..") == "invalid server id \"..\": " + rule);
  CHECK(id_error(".") == "invalid server id \".\": " + rule);
  CHECK(id_error("a/b") == "invalid server id \"a/b\": " + rule);
  CHECK(id_error("../x") == "invalid server id \"../x\": " + rule);
  CHECK(id_error("-x") == "invalid server id \"-x\": " + rule);
  CHECK(id_error("_x") == "invalid server id \"_x\": " + rule);
  CHECK(id_error(".hidden") == "invalid server id \".hidden\": " + rule);
  CHECK(id_error("a b") == "invalid server id \"a b\": " + rule);
  CHECK(id_error("web\n1") == "invalid server id \"web\n1\": " + rule);
  const std::string long_id(129, 'a');
  CHECK(id_error(long_id) == "invalid server id \"" + long_id + "\": " + rule);

  for (const std::string good : {"a", "7", "web1", "A-b_c.d", "x..y", "srv-01.example"}) {
    CHECK_NOTHROW(vsrv::spec::validate_id(good));
  }
  CHECK_NOTHROW(vsrv::spec::validate_id(std::string(128, 'z')));
}
