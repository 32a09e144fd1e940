// The default spec: its content, and that its YAML and JSON forms parse back
// to exactly the same model.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "vsrv/isolation/process.hpp"
#include "vsrv/rootfs/mount_tree.hpp"
#include "vsrv/runtime/spec_parser.hpp"

using vsrv::isolation::NsType;
using vsrv::spec::Spec;

namespace {

// Field-by-field comparison (CHECKs name the field that differs).
void check_same(const Spec& a, const Spec& b) {
  CHECK(a.oci_version == b.oci_version);
  CHECK(a.root.path == b.root.path);
  CHECK(a.root.readonly == b.root.readonly);
  CHECK(a.hostname == b.hostname);

  const auto &pa = a.process, &pb = b.process;
  CHECK(pa.terminal == pb.terminal);
  CHECK(pa.args == pb.args);
  CHECK(pa.env == pb.env);
  CHECK(pa.cwd == pb.cwd);
  CHECK(pa.user.uid == pb.user.uid);
  CHECK(pa.user.gid == pb.user.gid);
  CHECK(pa.user.umask == pb.user.umask);
  CHECK(pa.user.additional_gids == pb.user.additional_gids);
  REQUIRE(pa.rlimits.size() == pb.rlimits.size());
  for (size_t i = 0; i < pa.rlimits.size(); ++i) {
    CHECK(pa.rlimits[i].type == pb.rlimits[i].type);
    CHECK(pa.rlimits[i].soft == pb.rlimits[i].soft);
    CHECK(pa.rlimits[i].hard == pb.rlimits[i].hard);
  }
  REQUIRE(pa.capabilities.has_value() == pb.capabilities.has_value());
  if (pa.capabilities) {
    CHECK(pa.capabilities->bounding == pb.capabilities->bounding);
    CHECK(pa.capabilities->effective == pb.capabilities->effective);
    CHECK(pa.capabilities->permitted == pb.capabilities->permitted);
    CHECK(pa.capabilities->inheritable == pb.capabilities->inheritable);
    CHECK(pa.capabilities->ambient == pb.capabilities->ambient);
  }
  CHECK(pa.no_new_privileges == pb.no_new_privileges);
  CHECK(pa.oom_score_adj == pb.oom_score_adj);

  REQUIRE(a.mounts.size() == b.mounts.size());
  for (size_t i = 0; i < a.mounts.size(); ++i) {
    INFO("mount " << a.mounts[i].destination);
    CHECK(a.mounts[i].destination == b.mounts[i].destination);
    CHECK(a.mounts[i].type == b.mounts[i].type);
    CHECK(a.mounts[i].source == b.mounts[i].source);
    CHECK(a.mounts[i].options == b.mounts[i].options);
  }

  const auto &la = a.linux, &lb = b.linux;
  REQUIRE(la.namespaces.size() == lb.namespaces.size());
  for (size_t i = 0; i < la.namespaces.size(); ++i) {
    CHECK(la.namespaces[i].type == lb.namespaces[i].type);
    CHECK(la.namespaces[i].path == lb.namespaces[i].path);
  }
  CHECK(la.uid_mappings.size() == lb.uid_mappings.size());
  CHECK(la.gid_mappings.size() == lb.gid_mappings.size());
  CHECK(la.cgroups_path == lb.cgroups_path);
  CHECK(la.masked_paths == lb.masked_paths);
  CHECK(la.readonly_paths == lb.readonly_paths);
  CHECK(la.rootfs_propagation == lb.rootfs_propagation);
  CHECK(la.sysctl == lb.sysctl);
  CHECK(la.resources.memory.limit == lb.resources.memory.limit);
  CHECK(la.resources.cpu.quota == lb.resources.cpu.quota);
  CHECK(la.resources.pids.limit == lb.resources.pids.limit);
  REQUIRE(la.seccomp.has_value() == lb.seccomp.has_value());
  if (la.seccomp) {
    const auto &sa = *la.seccomp, &sb = *lb.seccomp;
    CHECK(sa.default_action == sb.default_action);
    CHECK(sa.default_errno_ret == sb.default_errno_ret);
    CHECK(sa.architectures == sb.architectures);
    CHECK(sa.flags == sb.flags);
    REQUIRE(sa.syscalls.size() == sb.syscalls.size());
    for (size_t i = 0; i < sa.syscalls.size(); ++i) {
      CHECK(sa.syscalls[i].names == sb.syscalls[i].names);
      CHECK(sa.syscalls[i].action == sb.syscalls[i].action);
      CHECK(sa.syscalls[i].errno_ret == sb.syscalls[i].errno_ret);
      REQUIRE(sa.syscalls[i].args.size() == sb.syscalls[i].args.size());
      for (size_t j = 0; j < sa.syscalls[i].args.size(); ++j) {
        CHECK(sa.syscalls[i].args[j].index == sb.syscalls[i].args[j].index);
        CHECK(sa.syscalls[i].args[j].value == sb.syscalls[i].args[j].value);
        CHECK(sa.syscalls[i].args[j].value_two == sb.syscalls[i].args[j].value_two);
        CHECK(sa.syscalls[i].args[j].op == sb.syscalls[i].args[j].op);
      }
    }
  }
  CHECK(a.annotations == b.annotations);
  CHECK(a.hooks.prestart.size() == b.hooks.prestart.size());

  CHECK(a.vsrv.template_name == b.vsrv.template_name);
  CHECK(a.vsrv.network.mode == b.vsrv.network.mode);
  CHECK(a.vsrv.network.address == b.vsrv.network.address);
  CHECK(a.vsrv.onboot == b.vsrv.onboot);
  CHECK(a.vsrv.restart == b.vsrv.restart);
  CHECK(a.vsrv.idmap_auto == b.vsrv.idmap_auto);
  CHECK(a.vsrv.stop_signal == b.vsrv.stop_signal);
}

}  // namespace

TEST_CASE("the default spec is the safe busybox shell", "[spec][default]") {
  const Spec s = vsrv::spec::default_spec();
  CHECK(s.oci_version == "1.0.2");
  CHECK(s.process.terminal);
  CHECK(s.process.args == std::vector<std::string>{"sh"});
  CHECK(s.process.env ==
        std::vector<std::string>{
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"});
  CHECK(s.process.cwd == "/");
  CHECK(s.process.user.uid == 0);
  CHECK(s.process.user.gid == 0);
  REQUIRE(s.process.rlimits.size() == 1);
  CHECK(s.process.rlimits[0].type == "RLIMIT_NOFILE");
  CHECK(s.process.rlimits[0].soft == 1024);
  CHECK(s.process.rlimits[0].hard == 1024);
  REQUIRE(s.process.capabilities);
  CHECK(s.process.capabilities->bounding == vsrv::isolation::default_capabilities().bounding);
  CHECK_FALSE(s.process.capabilities->bounding.empty());
  CHECK(s.process.no_new_privileges);
  CHECK(s.root.path == "rootfs");
  CHECK_FALSE(s.root.readonly);
  CHECK(s.hostname.empty());  // the server's id at create
  CHECK(s.mounts.size() == vsrv::rootfs::default_mounts().size());
  for (NsType t : {NsType::kPid, NsType::kNetwork, NsType::kIpc, NsType::kUts, NsType::kMount,
                   NsType::kCgroup}) {
    CHECK(s.has_namespace(t));
  }
  CHECK_FALSE(s.has_namespace(NsType::kUser));
  CHECK(s.linux.masked_paths == vsrv::rootfs::default_masked_paths());
  CHECK(s.linux.readonly_paths == vsrv::rootfs::default_readonly_paths());
  REQUIRE(s.linux.seccomp);
  CHECK_FALSE(s.linux.seccomp->syscalls.empty());
  CHECK(s.vsrv.template_name == "busybox");
  CHECK(s.vsrv.network.mode == "none");
  // It passes its own validation.
  CHECK_NOTHROW(vsrv::spec::validate(s, "default"));
}

TEST_CASE("default YAML parses to the default spec, without warnings", "[spec][default]") {
  const std::string yaml = vsrv::spec::default_spec_yaml();
  const auto r = vsrv::spec::parse(yaml, "config.yaml");
  CHECK(r.warnings.empty());
  check_same(r.spec, vsrv::spec::default_spec());
}

TEST_CASE("default YAML is commented and readable", "[spec][default]") {
  const std::string yaml = vsrv::spec::default_spec_yaml();
  CHECK(yaml.rfind("# ", 0) == 0);
  CHECK(yaml.find("# resources: {memory: {limit: 256Mi}, cpu: {cpus: 0.5}, pids: {limit: 128}}") !=
        std::string::npos);
  CHECK(yaml.find("\nvsrv:\n") != std::string::npos);
  CHECK(yaml.find("\n  seccomp:\n") != std::string::npos);
  // The commented-out example is itself a valid resources section.
  const std::string example =
      "process: {args: [sh]}\nlinux:\n  resources: {memory: {limit: 256Mi}, cpu: {cpus: 0.5}, "
      "pids: "
      "{limit: 128}}\n";
  const auto r = vsrv::spec::parse(example, "example.yaml");
  CHECK(r.spec.linux.resources.memory.limit == 256LL << 20);
  CHECK(r.spec.linux.resources.cpu.quota == 50000);
  CHECK(r.spec.linux.resources.pids.limit == 128);
  // So is the device example.
  const std::string devices =
      "# resources: {devices: [{allow: true, type: c, major: 10, minor: 200, access: rw}]}";
  REQUIRE(yaml.find(devices) != std::string::npos);
  const auto d = vsrv::spec::parse("process: {args: [sh]}\nlinux:\n  " + devices.substr(2) + "\n",
                                   "example.yaml");
  REQUIRE(d.spec.linux.resources.devices);
  CHECK(vsrv::cgroups::rule_string(d.spec.linux.resources.devices->at(0)) == "c 10:200 rw");
  // Lines stay short.
  size_t start = 0;
  while (start < yaml.size()) {
    size_t end = yaml.find('\n', start);
    if (end == std::string::npos) end = yaml.size();
    INFO(yaml.substr(start, end - start));
    CHECK(end - start <= 100);
    start = end + 1;
  }
}

TEST_CASE("default JSON is an OCI config.json of the default spec", "[spec][default]") {
  const std::string text = vsrv::spec::default_spec_json();
  const auto j = nlohmann::json::parse(text);
  CHECK(j["ociVersion"] == "1.0.2");
  CHECK(j["process"]["args"] == nlohmann::json::array({"sh"}));
  CHECK(j["process"]["noNewPrivileges"] == true);
  CHECK(j["root"]["path"] == "rootfs");
  CHECK(j["linux"]["namespaces"].size() == 6);
  CHECK(j["linux"]["namespaces"][0]["type"] == "pid");
  CHECK(j["linux"]["seccomp"]["syscalls"].is_array());
  const auto r = vsrv::spec::parse(text, "config.json");
  CHECK(r.warnings.empty());
  check_same(r.spec, vsrv::spec::default_spec());
}

TEST_CASE("to_json tells specs apart", "[spec][default]") {
  // to_json is used to compare models in spec_parser_test: a change must show.
  Spec a = vsrv::spec::default_spec();
  Spec b = a;
  b.linux.seccomp->syscalls.back().names.push_back("reboot");
  CHECK(vsrv::spec::to_json(a) != vsrv::spec::to_json(b));
  b = a;
  b.vsrv.network.mode = "host";
  CHECK(vsrv::spec::to_json(a) != vsrv::spec::to_json(b));
}
