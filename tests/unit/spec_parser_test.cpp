// Valid specs: YAML and JSON give the same model; conveniences (sizes, cpus),
// warnings for unknown properties, annotations and the vsrv: section.
#include "vsrv/runtime/spec_parser.hpp"

#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <stdexcept>
#include <string>

#include "harness.hpp"
#include "vsrv/base/error.hpp"

using vsrv::isolation::NsType;
using vsrv::spec::parse;
using vsrv::spec::parse_size;

namespace {

const char* const kYaml = R"(ociVersion: 1.0.2
# a comment
root: {path: rootfs, readonly: true}
process:
  terminal: false
  args: [httpd, -f, -p, "8080"]
  env: [PATH=/bin, HOME=/root]
  cwd: /srv
  user: {uid: 1000, gid: 100, umask: 0022, additionalGids: [10, 20]}
  rlimits:
    - {type: RLIMIT_NOFILE, soft: 512, hard: 1024}
  capabilities:
    bounding: [CAP_NET_BIND_SERVICE, CAP_KILL]
    effective: [CAP_NET_BIND_SERVICE]
    permitted: [CAP_NET_BIND_SERVICE]
    ambient: []
  noNewPrivileges: true
  oomScoreAdj: -100
hostname: web1
mounts:
  - {destination: /proc, type: proc, source: proc, options: [nosuid, noexec, nodev]}
  - {destination: /data, source: /srv/data, options: [rbind, ro]}
hooks:
  prestart:
    - {path: /usr/bin/setup, args: [setup, --net], env: [A=1], timeout: 5}
  poststop:
    - path: /usr/bin/cleanup
annotations: {org.example/owner: alice, build: "42"}
linux:
  namespaces:
    - type: pid
    - type: network
    - type: ipc
    - type: uts
    - type: mount
    - type: user
  uidMappings: [{containerID: 0, hostID: 100000, size: 65536}]
  gidMappings: [{containerID: 0, hostID: 100000, size: 65536}]
  cgroupsPath: vsrv/web1
  resources:
    memory: {limit: 256Mi, reservation: 128Mi, swap: 512Mi, swappiness: 10, disableOOMKiller: false}
    cpu: {shares: 512, quota: 50000, period: 100000, cpus: "0-1", mems: "0", idle: 0}
    pids: {limit: 128}
    unified: {memory.high: "200000000"}
  maskedPaths: [/proc/kcore]
  readonlyPaths: [/proc/sys]
  rootfsPropagation: rslave
  sysctl: {net.ipv4.ip_forward: "1", kernel.msgmax: 65536}
  seccomp:
    defaultAction: SCMP_ACT_ERRNO
    defaultErrnoRet: 1
    architectures: [SCMP_ARCH_X86_64]
    flags: [SECCOMP_FILTER_FLAG_LOG]
    syscalls:
      - {names: [read, write], action: SCMP_ACT_ALLOW}
      - names: [personality]
        action: SCMP_ACT_ALLOW
        args: [{index: 0, value: 8, valueTwo: 0, op: SCMP_CMP_EQ}]
vsrv:
  template: alpine
  network: {mode: bridge, address: 10.10.0.2/24}
  onboot: true
  restart: always
  stopSignal: SIGUSR1
)";

// The same spec as OCI JSON (sizes in bytes, umask 0022 = 18).
const char* const kJson = R"({
  "ociVersion": "1.0.2",
  "root": {"path": "rootfs", "readonly": true},
  "process": {
    "terminal": false,
    "args": ["httpd", "-f", "-p", "8080"],
    "env": ["PATH=/bin", "HOME=/root"],
    "cwd": "/srv",
    "user": {"uid": 1000, "gid": 100, "umask": 18, "additionalGids": [10, 20]},
    "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024}],
    "capabilities": {"bounding": ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
                     "effective": ["CAP_NET_BIND_SERVICE"], "permitted": ["CAP_NET_BIND_SERVICE"],
                     "ambient": []},
    "noNewPrivileges": true,
    "oomScoreAdj": -100
  },
  "hostname": "web1",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/data", "source": "/srv/data", "options": ["rbind", "ro"]}
  ],
  "hooks": {
    "prestart": [{"path": "/usr/bin/setup", "args": ["setup", "--net"], "env": ["A=1"], "timeout": 5}],
    "poststop": [{"path": "/usr/bin/cleanup"}]
  },
  "annotations": {"org.example/owner": "alice", "build": "42"},
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
                   {"type": "mount"}, {"type": "user"}],
    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "cgroupsPath": "vsrv/web1",
    "resources": {
      "memory": {"limit": 268435456, "reservation": 134217728, "swap": 536870912, "swappiness": 10,
                 "disableOOMKiller": false},
      "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0-1", "mems": "0", "idle": 0},
      "pids": {"limit": 128},
      "unified": {"memory.high": "200000000"}
    },
    "maskedPaths": ["/proc/kcore"],
    "readonlyPaths": ["/proc/sys"],
    "rootfsPropagation": "rslave",
    "sysctl": {"net.ipv4.ip_forward": "1", "kernel.msgmax": "65536"},
    "seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
      "architectures": ["SCMP_ARCH_X86_64"], "flags": ["SECCOMP_FILTER_FLAG_LOG"],
      "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]}
      ]
    }
  },
  "vsrv": {"template": "alpine", "network": {"mode": "bridge", "address": "10.10.0.2/24"},
           "onboot": true, "restart": "always", "stopSignal": 10}
})";

vsrv::spec::Spec parse_ok(const std::string& text) {
  auto result = parse(text, "config.yaml");
  INFO("warnings: " << result.warnings.size());
  CHECK(result.warnings.empty());
  return result.spec;
}

const std::string kMin = "process: {args: [sh]}\n";

}  // namespace

TEST_CASE("a full YAML spec reads into the model", "[spec][parser]") {
  const auto s = parse_ok(kYaml);
  CHECK(s.oci_version == "1.0.2");
  CHECK(s.root.path == "rootfs");
  CHECK(s.root.readonly);
  CHECK_FALSE(s.process.terminal);
  CHECK(s.process.args == std::vector<std::string>{"httpd", "-f", "-p", "8080"});
  CHECK(s.process.env == std::vector<std::string>{"PATH=/bin", "HOME=/root"});
  CHECK(s.process.cwd == "/srv");
  CHECK(s.process.user.uid == 1000);
  CHECK(s.process.user.gid == 100);
  CHECK(s.process.user.umask == 022u);
  CHECK(s.process.user.additional_gids == std::vector<uint32_t>{10, 20});
  REQUIRE(s.process.rlimits.size() == 1);
  CHECK(s.process.rlimits[0].type == "RLIMIT_NOFILE");
  CHECK(s.process.rlimits[0].soft == 512);
  CHECK(s.process.rlimits[0].hard == 1024);
  REQUIRE(s.process.capabilities);
  CHECK(s.process.capabilities->bounding ==
        std::vector<std::string>{"CAP_NET_BIND_SERVICE", "CAP_KILL"});
  CHECK(s.process.capabilities->inheritable.empty());
  CHECK(s.process.no_new_privileges);
  CHECK(s.process.oom_score_adj == -100);
  CHECK(s.hostname == "web1");
  REQUIRE(s.mounts.size() == 2);
  CHECK(s.mounts[1].destination == "/data");
  CHECK(s.mounts[1].type.empty());
  CHECK(s.mounts[1].source == "/srv/data");
  CHECK(s.mounts[1].options == std::vector<std::string>{"rbind", "ro"});
  REQUIRE(s.hooks.prestart.size() == 1);
  CHECK(s.hooks.prestart[0].path == "/usr/bin/setup");
  CHECK(s.hooks.prestart[0].args == std::vector<std::string>{"setup", "--net"});
  CHECK(s.hooks.prestart[0].timeout == 5);
  REQUIRE(s.hooks.poststop.size() == 1);
  CHECK_FALSE(s.hooks.poststop[0].timeout);
  CHECK(s.annotations ==
        std::map<std::string, std::string>{{"org.example/owner", "alice"}, {"build", "42"}});
  REQUIRE(s.linux.namespaces.size() == 6);
  CHECK(s.linux.namespaces[5].type == NsType::kUser);
  CHECK(s.has_namespace(NsType::kUts));
  CHECK_FALSE(s.has_namespace(NsType::kCgroup));
  REQUIRE(s.linux.uid_mappings.size() == 1);
  CHECK(s.linux.uid_mappings[0].host_id == 100000);
  CHECK(s.linux.uid_mappings[0].size == 65536);
  CHECK(s.linux.cgroups_path == "vsrv/web1");
  const auto& r = s.linux.resources;
  CHECK(r.memory.limit == 256LL << 20);
  CHECK(r.memory.reservation == 128LL << 20);
  CHECK(r.memory.swap == 512LL << 20);
  CHECK(r.memory.swappiness == 10u);
  CHECK(r.memory.disable_oom_killer == false);
  CHECK(r.cpu.shares == 512u);
  CHECK(r.cpu.quota == 50000);
  CHECK(r.cpu.period == 100000u);
  CHECK(r.cpu.cpus == "0-1");
  CHECK(r.cpu.mems == "0");
  CHECK(r.cpu.idle == false);
  CHECK(r.pids.limit == 128);
  CHECK(r.unified.at("memory.high") == "200000000");
  CHECK(s.linux.rootfs_propagation == "rslave");
  CHECK(s.linux.sysctl.at("kernel.msgmax") == "65536");
  REQUIRE(s.linux.seccomp);
  CHECK(s.linux.seccomp->default_action == "SCMP_ACT_ERRNO");
  CHECK(s.linux.seccomp->default_errno_ret == 1u);
  REQUIRE(s.linux.seccomp->syscalls.size() == 2);
  REQUIRE(s.linux.seccomp->syscalls[1].args.size() == 1);
  CHECK(s.linux.seccomp->syscalls[1].args[0].value == 8);
  CHECK(s.linux.seccomp->syscalls[1].args[0].op == "SCMP_CMP_EQ");
  CHECK(s.vsrv.template_name == "alpine");
  CHECK(s.vsrv.network.mode == "bridge");
  CHECK(s.vsrv.network.address == "10.10.0.2/24");
  CHECK(s.vsrv.onboot);
  CHECK(s.vsrv.restart == "always");
  CHECK(s.vsrv.stop_signal == SIGUSR1);
}

TEST_CASE("the same spec in JSON gives the same model", "[spec][parser]") {
  const auto from_yaml = parse_ok(kYaml);
  const auto from_json = parse(kJson, "config.json");
  CHECK(from_json.warnings.empty());
  // to_json serializes every field of the model.
  CHECK(vsrv::spec::to_json(from_json.spec) == vsrv::spec::to_json(from_yaml));
  CHECK(from_json.spec.process.user.umask == 022u);
  CHECK(from_json.spec.linux.resources.memory.limit == 268435456);
  // And the model survives its own JSON.
  CHECK(vsrv::spec::to_json(parse(vsrv::spec::to_json(from_yaml), "x.json").spec) ==
        vsrv::spec::to_json(from_yaml));
}

TEST_CASE("parse_size", "[spec][size]") {
  const std::pair<const char*, int64_t> good[] = {
      {"0", 0},
      {"1024", 1024},
      {"-1", -1},
      {"512k", 512000},
      {"512K", 512000},
      {"1M", 1000000},
      {"1G", 1000000000},
      {"2T", 2000000000000},
      {"1Ki", 1024},
      {"256Mi", 268435456},
      {"1Gi", 1073741824},
      {"1Ti", 1099511627776},
      {"4KiB", 4096},
      {"64MiB", 67108864},
      {"2GiB", 2147483648},
      {"1.5Gi", 1610612736},
      {"0.5Ki", 512},
      {"9223372036854775807", INT64_MAX},
  };
  for (const auto& [text, bytes] : good) {
    INFO(text);
    CHECK(parse_size(text) == bytes);
  }
  for (const char* bad : {"", "12XB", "1.5", "-2", "+5", " 5", "5 ", "1g", "1mi", "Mi", "1..5Mi",
                          "1.Mi", "9223372036854775808", "9000000000Gi", "1e6", "0x10", "-1Mi"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_size(bad), std::invalid_argument);
  }
}

TEST_CASE("memory sizes in a spec", "[spec][size]") {
  const auto s = parse_ok(
      kMin + "linux:\n  resources:\n    memory: {limit: 1G, reservation: 512k, swap: -1}\n");
  CHECK(s.linux.resources.memory.limit == 1000000000);
  CHECK(s.linux.resources.memory.reservation == 512000);
  CHECK(s.linux.resources.memory.swap == -1);
  const auto q = parse_ok(kMin + "linux: {resources: {memory: {limit: \"64Mi\"}}}\n");
  CHECK(q.linux.resources.memory.limit == 64LL << 20);
}

TEST_CASE("cpus: a plain number is a CPU count, a string or range is a cpuset", "[spec][cpu]") {
  SECTION("0.5 -> half the default period") {
    const auto s = parse_ok(kMin + "linux: {resources: {cpu: {cpus: 0.5}}}\n");
    CHECK(s.linux.resources.cpu.quota == 50000);
    CHECK(s.linux.resources.cpu.period == 100000u);
    CHECK_FALSE(s.linux.resources.cpu.cpus);
  }
  SECTION("2 CPUs over a given period") {
    const auto s = parse_ok(kMin + "linux: {resources: {cpu: {period: 50000, cpus: 2}}}\n");
    CHECK(s.linux.resources.cpu.quota == 100000);
    CHECK(s.linux.resources.cpu.period == 50000u);
  }
  SECTION("quoted \"0-1\" is a cpuset") {
    const auto s = parse_ok(kMin + "linux: {resources: {cpu: {cpus: \"0-1\"}}}\n");
    CHECK(s.linux.resources.cpu.cpus == "0-1");
    CHECK_FALSE(s.linux.resources.cpu.quota);
    CHECK_FALSE(s.linux.resources.cpu.period);
  }
  SECTION("plain 0-3 is a cpuset") {
    const auto s = parse_ok(kMin + "linux: {resources: {cpu: {cpus: 0-3}}}\n");
    CHECK(s.linux.resources.cpu.cpus == "0-3");
    CHECK_FALSE(s.linux.resources.cpu.quota);
  }
  SECTION("quoted \"1\" in JSON is CPU 1, not one CPU") {
    const auto s = parse(
        "{\"process\": {\"args\": [\"sh\"]}, \"linux\": {\"resources\": {\"cpu\": "
        "{\"cpus\": \"1\"}}}}",
        "config.json");
    CHECK(s.spec.linux.resources.cpu.cpus == "1");
    CHECK_FALSE(s.spec.linux.resources.cpu.quota);
  }
  SECTION("idle accepts true/false and 0/1") {
    CHECK(parse_ok(kMin + "linux: {resources: {cpu: {idle: true}}}\n").linux.resources.cpu.idle ==
          true);
    CHECK(parse_ok(kMin + "linux: {resources: {cpu: {idle: 1}}}\n").linux.resources.cpu.idle ==
          true);
  }
}

TEST_CASE("device rules, blockIO, hugepages, network and rdma", "[spec][resources]") {
  const auto s = parse_ok(kMin +
                          "linux:\n  resources:\n"
                          "    devices:\n"
                          "      - {allow: false, access: rwm}\n"
                          "      - {allow: true, type: c, major: 10, minor: 183, access: rw}\n"
                          "      - {allow: true, type: b, major: 7, minor: '*', access: r}\n"
                          "      - {allow: true, type: c, major: -1, minor: 3}\n"
                          "    blockIO:\n"
                          "      weight: 100\n"
                          "      weightDevice: [{major: 8, minor: 0, weight: 500}]\n"
                          "      throttleReadBpsDevice: [{major: 7, minor: 0, rate: 10Mi}]\n"
                          "      throttleWriteBpsDevice: [{major: 7, minor: 0, rate: 1048576}]\n"
                          "      throttleReadIOPSDevice: [{major: 7, minor: 1, rate: 100}]\n"
                          "      throttleWriteIOPSDevice: [{major: 7, minor: 1, rate: 0}]\n"
                          "    hugepageLimits: [{pageSize: 2MB, limit: 64Mi}, {pageSize: 1GB, "
                          "limit: -1}]\n"
                          "    network: {classID: 1048577, priorities: [{name: eth0, priority: "
                          "5}]}\n"
                          "    rdma: {mlx5_0: {hcaHandles: 3, hcaObjects: 10000}, mlx4_0: "
                          "{hcaObjects: 7}}\n");
  const auto& r = s.linux.resources;
  REQUIRE(r.devices);
  const auto& d = *r.devices;
  REQUIRE(d.size() == 4);
  CHECK_FALSE(d[0].allow);
  CHECK(d[0].type == 'a');
  CHECK(d[0].access == vsrv::cgroups::kDevAll);
  CHECK(d[1].allow);
  CHECK(d[1].type == 'c');
  CHECK(d[1].major == 10u);
  CHECK(d[1].minor == 183u);
  CHECK(d[1].access == (vsrv::cgroups::kDevRead | vsrv::cgroups::kDevWrite));
  CHECK(d[2].type == 'b');
  CHECK(d[2].major == 7u);
  CHECK_FALSE(d[2].minor);  // '*'
  CHECK_FALSE(d[3].major);  // -1
  CHECK(d[3].minor == 3u);
  CHECK(d[3].access == vsrv::cgroups::kDevAll);  // access not given: rwm
  const auto& b = r.block_io;
  CHECK(b.weight == 100);
  REQUIRE(b.weight_devices.size() == 1);
  CHECK(b.weight_devices[0].major == 8u);
  CHECK(b.weight_devices[0].weight == 500);
  CHECK_FALSE(b.weight_devices[0].leaf_weight);
  REQUIRE(b.read_bps.size() == 1);
  CHECK(b.read_bps[0].rate == 10u << 20);
  CHECK(b.write_bps[0].rate == 1048576u);
  CHECK(b.read_iops[0].minor == 1u);
  CHECK(b.read_iops[0].rate == 100u);
  CHECK(b.write_iops[0].rate == 0u);
  REQUIRE(r.hugepage_limits.size() == 2);
  CHECK(r.hugepage_limits[0].page_size == "2MB");
  CHECK(r.hugepage_limits[0].limit == 64 << 20);
  CHECK(r.hugepage_limits[1].limit == -1);
  CHECK(r.network.class_id == 1048577u);
  REQUIRE(r.network.priorities.size() == 1);
  CHECK(r.network.priorities[0] == std::make_pair(std::string("eth0"), 5u));
  REQUIRE(r.rdma.size() == 2);
  CHECK(r.rdma.at("mlx5_0").hca_handles == 3u);
  CHECK(r.rdma.at("mlx5_0").hca_objects == 10000u);
  CHECK_FALSE(r.rdma.at("mlx4_0").hca_handles);

  // The JSON form of the spec says the same.
  const std::string json = vsrv::spec::to_json(s);
  const auto again = vsrv::spec::parse(json, "config.json").spec.linux.resources;
  REQUIRE(again.devices);
  CHECK(again.devices->size() == 4);
  CHECK((*again.devices)[2].access == vsrv::cgroups::kDevRead);
  CHECK_FALSE((*again.devices)[2].minor);
  CHECK(again.block_io.read_bps[0].rate == 10u << 20);
  CHECK(again.block_io.weight_devices[0].weight == 500);
  CHECK(again.hugepage_limits[1].limit == -1);
  CHECK(again.network.priorities == r.network.priorities);
  CHECK(again.rdma.at("mlx4_0").hca_objects == 7u);
}

TEST_CASE("a server's device rules: defaults, linux.devices, the spec's", "[spec][resources]") {
  using vsrv::cgroups::DeviceRule;
  std::vector<vsrv::rootfs::Device> nodes(2);
  nodes[0].path = "/dev/fuse";
  nodes[0].major = 10;
  nodes[0].minor = 229;
  nodes[1].path = "/dev/ctl";
  nodes[1].type = 'p';  // a fifo: no rule
  const auto defaults = vsrv::cgroups::default_device_rules();
  const auto base = vsrv::spec::server_device_rules(nodes, std::nullopt);
  REQUIRE(base.size() == defaults.size() + 1);
  CHECK(vsrv::cgroups::rule_string(base.back()) == "c 10:229 rwm");
  CHECK(base.back().allow);
  const DeviceRule deny_all{false, 'a', std::nullopt, std::nullopt, vsrv::cgroups::kDevAll};
  const DeviceRule hwrng{true, 'c', 10, 183, vsrv::cgroups::kDevRead};
  const auto with = vsrv::spec::server_device_rules(nodes, std::vector<DeviceRule>{hwrng});
  REQUIRE(with.size() == base.size() + 1);
  CHECK(vsrv::cgroups::rule_string(with.back()) == "c 10:183 r");
  // An engine's deny-all first: back to the base, then its rules.
  const auto engine =
      vsrv::spec::server_device_rules(nodes, std::vector<DeviceRule>{deny_all, hwrng});
  REQUIRE(engine.size() == 2 * base.size() + 1);
  const auto state = vsrv::cgroups::device_state(engine);
  CHECK(state.allows('c', 1, 3, vsrv::cgroups::kDevRead));
  CHECK(state.allows('c', 10, 229, vsrv::cgroups::kDevRead));
  CHECK(state.allows('c', 10, 183, vsrv::cgroups::kDevRead));
  CHECK_FALSE(state.allows('c', 10, 183, vsrv::cgroups::kDevWrite));
}

TEST_CASE("unknown properties are warnings with line and path", "[spec][warnings]") {
  const auto r = parse(
      "process:\n  args: [sh]\n  colour: blue\nfrobnicate: 1\nlinux:\n"
      "  namespaces:\n    - {type: pid, flavour: strawberry}\n"
      "  resources: {memory: {limit: 1Gi, turbo: true}}\nvsrv: {template: x, pets: 2}\n",
      "config.yaml");
  CHECK(r.warnings == std::vector<std::string>{
                          "config.yaml:3: process.colour: unknown property, ignored",
                          "config.yaml:7: linux.namespaces[0].flavour: unknown property, ignored",
                          "config.yaml:8: linux.resources.memory.turbo: unknown property, ignored",
                          "config.yaml:9: vsrv.pets: unknown property, ignored",
                          "config.yaml:4: frobnicate: unknown property, ignored",
                      });
  CHECK(r.spec.linux.resources.memory.limit == 1LL << 30);
}

TEST_CASE("OCI fields vsrv does not implement are accepted", "[spec][warnings]") {
  // What podman and containerd emit.
  const auto r = parse(R"({"ociVersion": "1.1.0",
  "process": {"args": ["sh"], "consoleSize": {"height": 24, "width": 80},
              "apparmorProfile": "containers-default", "selinuxLabel": ""},
  "domainname": "",
  "linux": {"devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}],
            "resources": {"devices": [], "blockIO": {"weight": 10}},
            "mountLabel": "", "intelRdt": {}, "personality": {"domain": "LINUX"}},
  "windows": {"layerFolders": []}})",
                       "config.json");
  CHECK(r.warnings ==
        std::vector<std::string>{
            "config.json:3: process.apparmorProfile: not supported by vsrv yet, ignored",
            "config.json:7: linux.personality: not supported by vsrv yet, ignored",
        });
  CHECK(r.spec.oci_version == "1.1.0");
  REQUIRE(r.spec.linux.devices.size() == 1);  // implemented since
  CHECK(r.spec.linux.devices[0].path == "/dev/fuse");
  // So are the device cgroup and blockIO.
  REQUIRE(r.spec.linux.resources.devices);
  CHECK(r.spec.linux.resources.devices->empty());
  CHECK(r.spec.linux.resources.block_io.weight == 10);
}

TEST_CASE("annotations", "[spec][parser]") {
  const auto s =
      parse_ok(kMin + "annotations:\n  io.kubernetes.pod: web\n  count: 3\n  empty: \"\"\n");
  CHECK(s.annotations == std::map<std::string, std::string>{
                             {"io.kubernetes.pod", "web"}, {"count", "3"}, {"empty", ""}});
  CHECK_THROWS_WITH(parse(kMin + "annotations:\n  nested: {a: b}\n", "config.yaml"),
                    "config.yaml:3: annotations.nested: must be a string");
  CHECK_THROWS_WITH(parse(kMin + "annotations: [a, b]\n", "config.yaml"),
                    "config.yaml:2: annotations: must be a map of strings");
}

TEST_CASE("vsrv section variants", "[spec][vsrv]") {
  SECTION("absent: defaults") {
    const auto s = parse_ok(kMin);
    CHECK(s.vsrv.template_name.empty());
    CHECK(s.vsrv.network.mode == "none");
    CHECK_FALSE(s.vsrv.onboot);
    CHECK(s.vsrv.restart == "no");
    CHECK_FALSE(s.vsrv.idmap_auto);
    CHECK_FALSE(s.vsrv.stop_signal);
  }
  SECTION("network as a string") {
    CHECK(parse_ok(kMin + "vsrv: {network: host}\n").vsrv.network.mode == "host");
  }
  SECTION("network as a map, bridge with auto") {
    const auto s = parse_ok(kMin +
                            "linux: {namespaces: [{type: network}]}\n"
                            "vsrv: {network: {mode: bridge, address: auto}}\n");
    CHECK(s.vsrv.network.mode == "bridge");
    CHECK(s.vsrv.network.address == "auto");
  }
  SECTION("routed with an IPv6 address") {
    const auto s = parse_ok(kMin +
                            "linux: {namespaces: [{type: network}]}\n"
                            "vsrv: {network: {mode: routed, address6: \"fd00::2/64\", mtu: 1400, "
                            "ports: [\"8080:80\", \"53:53/udp\"]}}\n");
    CHECK(s.vsrv.network.address6 == "fd00::2/64");
    CHECK(s.vsrv.network.mtu == 1400);
    REQUIRE(s.vsrv.network.ports.size() == 2);
    CHECK(s.vsrv.network.ports[0].proto == "tcp");
    CHECK(s.vsrv.network.ports[0].host_port == 8080);
    CHECK(s.vsrv.network.ports[1].proto == "udp");
    CHECK(s.vsrv.network.ports[1].port == 53);
  }
  SECTION("ns with a path") {
    const auto s = parse_ok(kMin + "vsrv: {network: {mode: ns, path: /run/netns/blue}}\n");
    CHECK(s.vsrv.network.path == "/run/netns/blue");
  }
  SECTION("idmap auto allows a user namespace without mappings") {
    const auto s = parse_ok(
        kMin + "linux: {namespaces: [{type: user}, {type: mount}]}\nvsrv: {idmap: auto}\n");
    CHECK(s.vsrv.idmap_auto);
    CHECK(parse_ok(kMin + "vsrv: {idmap: false}\n").vsrv.idmap_auto == false);
  }
  SECTION("restart policies and onboot") {
    CHECK(parse_ok(kMin + "vsrv: {restart: on-reboot, onboot: true}\n").vsrv.restart ==
          "on-reboot");
    CHECK(parse_ok(kMin + "vsrv: {restart: \"no\"}\n").vsrv.restart == "no");
  }
  SECTION("stop signals by name or number") {
    CHECK(parse_ok(kMin + "vsrv: {stopSignal: SIGUSR1}\n").vsrv.stop_signal == SIGUSR1);
    CHECK(parse_ok(kMin + "vsrv: {stopSignal: USR2}\n").vsrv.stop_signal == SIGUSR2);
    CHECK(parse_ok(kMin + "vsrv: {stopSignal: sigterm}\n").vsrv.stop_signal == SIGTERM);
    CHECK(parse_ok(kMin + "vsrv: {stopSignal: 2}\n").vsrv.stop_signal == 2);
    CHECK(parse_ok(kMin + "vsrv: {stopSignal: RTMIN+2}\n").vsrv.stop_signal == SIGRTMIN + 2);
    CHECK(parse_ok(kMin + "vsrv: {stopSignal: SIGRTMAX}\n").vsrv.stop_signal == SIGRTMAX);
  }
}

TEST_CASE("null values mean not set; a joined user namespace needs no mappings", "[spec][parser]") {
  const auto s = parse_ok(
      "process: {args: [sh], env: null, capabilities: ~}\nannotations: null\n"
      "linux:\n  namespaces: [{type: user, path: /proc/1/ns/user}]\n");
  CHECK(s.process.env.empty());
  CHECK_FALSE(s.process.capabilities);
  CHECK(s.linux.namespaces[0].path == "/proc/1/ns/user");
}

TEST_CASE("parse_file names the file's basename", "[spec][parser]") {
  vsrv::test::TempDir dir;
  const std::string path = dir.path() + "/web.yaml";
  {
    std::ofstream out(path);
    out << "process:\n  args: []\n";
  }
  CHECK_THROWS_WITH(vsrv::spec::parse_file(path),
                    "web.yaml:2: process.args: must be a non-empty list of strings");
  {
    std::ofstream out(path);
    out << kYaml;
  }
  CHECK(vsrv::spec::parse_file(path).spec.hostname == "web1");
}

TEST_CASE("runc's own default config.json is accepted", "[spec][parser]") {
  for (bool rootless : {false, true}) {
    INFO("rootless: " << rootless);
    vsrv::test::TempDir dir;
    std::vector<std::string> argv = {"/usr/sbin/runc", "spec", "--bundle", dir.path()};
    if (rootless) argv.push_back("--rootless");
    const auto run = vsrv::test::run(argv);
    REQUIRE(run.status == 0);
    const auto r = vsrv::spec::parse_file(dir.path() + "/config.json");
    // runc writes a deny-all device cgroup rule (not when rootless).
    CHECK(r.warnings.empty());
    if (!rootless) {
      REQUIRE(r.spec.linux.resources.devices);
      REQUIRE(r.spec.linux.resources.devices->size() == 1);
      const auto& rule = r.spec.linux.resources.devices->front();
      CHECK_FALSE(rule.allow);
      CHECK(rule.type == 'a');
      CHECK(rule.access == vsrv::cgroups::kDevAll);
    }
    CHECK(r.spec.process.args == std::vector<std::string>{"sh"});
    CHECK(r.spec.hostname == "runc");
    CHECK(r.spec.has_namespace(NsType::kUser) == rootless);
    CHECK(r.spec.linux.uid_mappings.size() == (rootless ? 1u : 0u));
  }
}

TEST_CASE("parse_over: a short YAML on top of the default spec", "[spec][parser]") {
  const auto base = vsrv::spec::default_spec();
  SECTION("the example of DESIGN.md") {
    const auto r = vsrv::spec::parse_over(
        "hostname: web1\n"
        "vsrv: {template: busybox, network: {mode: bridge, address: auto}, idmap: auto}\n"
        "process: {args: [httpd, -f, -p, \"8080\"], cwd: /}\n"
        "linux:\n"
        "  resources: {memory: {limit: 256Mi}, cpu: {cpus: 0.5}, pids: {limit: 128}}\n",
        "web.yaml", base);
    CHECK(r.warnings.empty());
    const auto& s = r.spec;
    CHECK(s.hostname == "web1");
    CHECK(s.process.args == std::vector<std::string>{"httpd", "-f", "-p", "8080"});
    CHECK(s.process.env == base.process.env);  // kept from the base
    CHECK(s.process.capabilities->bounding == base.process.capabilities->bounding);
    CHECK(s.linux.namespaces.size() == base.linux.namespaces.size());
    CHECK(s.linux.seccomp->syscalls.size() == base.linux.seccomp->syscalls.size());
    CHECK(s.mounts.size() == base.mounts.size());
    CHECK(s.linux.resources.memory.limit == 256LL << 20);
    CHECK(s.linux.resources.cpu.quota == 50000);
    CHECK(s.linux.resources.pids.limit == 128);
    CHECK(s.vsrv.network.mode == "bridge");
    CHECK(s.vsrv.network.address == "auto");
    CHECK(s.vsrv.idmap_auto);
    // The same text alone is not a complete spec: no uts namespace.
    CHECK_THROWS_WITH(parse("hostname: web1\nprocess: {args: [sh]}\n", "web.yaml"),
                      "web.yaml:1: hostname: needs a uts namespace in linux.namespaces");
  }
  SECTION("lists are replaced whole, capability sets one by one") {
    const auto s = vsrv::spec::parse_over(
                       "mounts: [{destination: /proc, type: proc, source: proc}]\n"
                       "process:\n  capabilities: {bounding: [CAP_KILL]}\n"
                       "linux:\n  namespaces: [{type: pid}, {type: mount}, {type: uts}]\n",
                       "x.yaml", base)
                       .spec;
    REQUIRE(s.mounts.size() == 1);
    CHECK(s.mounts[0].options.empty());
    CHECK(s.process.capabilities->bounding == std::vector<std::string>{"CAP_KILL"});
    CHECK(s.process.capabilities->effective == base.process.capabilities->effective);
    CHECK(s.linux.namespaces.size() == 3);
    CHECK(s.process.args == base.process.args);
  }
  SECTION("an empty document is the base") {
    const auto s = vsrv::spec::parse_over("# nothing\n", "x.yaml", base).spec;
    CHECK(vsrv::spec::to_json(s) == vsrv::spec::to_json(base));
  }
  SECTION("errors still name the line") {
    CHECK_THROWS_WITH(vsrv::spec::parse_over("vsrv: {}\nprocess: {cwd: x}\n", "x.yaml", base),
                      "x.yaml:2: process.cwd: must be an absolute path, got \"x\"");
    CHECK_THROWS_WITH(vsrv::spec::parse_over("process:\n  args: []\n", "x.yaml", base),
                      "x.yaml:2: process.args: must be a non-empty list of strings");
  }
}
