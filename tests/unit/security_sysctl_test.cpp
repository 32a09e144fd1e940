// Which sysctl keys a server may set: only those of a namespace it has;
// every other key is refused by validation, naming it.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "vsrv/base/error.hpp"
#include "vsrv/isolation/sysctl.hpp"
#include "vsrv/runtime/spec_parser.hpp"

using vsrv::isolation::NsType;
using vsrv::isolation::sysctl_components;
using vsrv::isolation::sysctl_namespace;

namespace {

// The error of a YAML spec over the default spec ("" when it is accepted).
std::string error_of(const std::string& yaml) {
  try {
    vsrv::spec::parse_over(yaml, "config.yaml", vsrv::spec::default_spec());
  } catch (const vsrv::Error& e) {
    CHECK(e.kind() == vsrv::ErrorKind::kUsage);
    return e.what();
  }
  return "";
}

std::string sysctl_spec(const std::string& key, const std::string& extra = "") {
  return "process: {args: [sh]}\n" + extra + "linux:\n  sysctl:\n    \"" + key + "\": \"1\"\n";
}

}  // namespace

TEST_CASE("sysctl keys split on dots, or on slashes when they have any") {
  CHECK(sysctl_components("net.ipv4.ip_forward") ==
        std::vector<std::string>{"net", "ipv4", "ip_forward"});
  CHECK(sysctl_components("net/ipv4/conf/eth0.100/forwarding") ==
        std::vector<std::string>{"net", "ipv4", "conf", "eth0.100", "forwarding"});
  CHECK(sysctl_components("kernel.shm_rmid_forced").size() == 2);
  for (const char* bad :
       {"", ".", "net..ipv4", "net.ipv4.", ".net", "net/../kernel/x", "net/./ipv4", "kernel/",
        "kernel.shm max", "kernel.shm\nmax", "net.ipv4.ip_forward\\", "kernel/shm*"}) {
    INFO(bad);
    CHECK(sysctl_components(bad).empty());
  }
}

TEST_CASE("sysctl keys map to their namespace, or to none") {
  for (const char* k :
       {"kernel.shmmax", "kernel.shmall", "kernel.shmmni", "kernel.shm_rmid_forced",
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.sem_next_id",
        "kernel.msg_next_id", "fs.mqueue.msg_max", "fs/mqueue/queues_max", "kernel/shmmax"}) {
    INFO(k);
    CHECK(sysctl_namespace(k) == NsType::kIpc);
  }
  CHECK(sysctl_namespace("kernel.hostname") == NsType::kUts);
  CHECK(sysctl_namespace("kernel.domainname") == NsType::kUts);
  CHECK(sysctl_namespace("net.ipv4.ip_forward") == NsType::kNetwork);
  CHECK(sysctl_namespace("net/ipv4/conf/eth0.100/forwarding") == NsType::kNetwork);
  for (const char* k : {"vm.swappiness", "kernel.panic", "kernel.core_pattern", "kernel.modprobe",
                        "kernel.sysrq", "fs.file-max", "fs.mqueue", "fs.mqueue.x.y", "kernel.semx",
                        "kernel.shmmax.x", "kernel", "net", "dev.tty.ldisc_autoload",
                        "kernel.ns_last_pid", "user.max_user_namespaces", "net/../kernel/panic"}) {
    INFO(k);
    CHECK_FALSE(sysctl_namespace(k).has_value());
  }
}

TEST_CASE("validation refuses a host-wide sysctl, naming the key and its line") {
  const std::string err = error_of(sysctl_spec("vm.swappiness"));
  CHECK(err.find("config.yaml:4:") != std::string::npos);
  CHECK(err.find("linux.sysctl.vm.swappiness") != std::string::npos);
  CHECK(err.find("not a namespaced sysctl") != std::string::npos);
  CHECK(error_of(sysctl_spec("kernel.core_pattern")).find("kernel.core_pattern") !=
        std::string::npos);
  CHECK(error_of(sysctl_spec("net/../kernel/panic")).find("malformed sysctl name") !=
        std::string::npos);
}

TEST_CASE("validation wants the namespace a sysctl belongs to") {
  // The default spec has ipc, uts and network namespaces.
  CHECK(error_of(sysctl_spec("kernel.shmmax")).empty());
  CHECK(error_of(sysctl_spec("net.ipv4.ip_forward")).empty());
  CHECK(error_of(sysctl_spec("kernel.domainname")).empty());

  const std::string no_net = "linux:\n  namespaces: [{type: pid}, {type: mount}, {type: ipc}]\n";
  const std::string only_net = "linux:\n  namespaces: [{type: mount}, {type: network}]\n";
  auto with = [](const std::string& ns, const std::string& key) {
    // namespaces and sysctl in one linux: map; no hostname (it needs uts).
    return "process: {args: [sh]}\nhostname: \"\"\n" + ns + "  sysctl:\n    \"" + key +
           "\": \"1\"\n";
  };
  CHECK(error_of(with(no_net, "net.ipv4.ip_forward")).find("needs a network namespace") !=
        std::string::npos);
  CHECK(error_of(with(only_net, "kernel.shmmax")).find("needs an ipc namespace") !=
        std::string::npos);
  CHECK(error_of(with(only_net, "kernel.hostname")).find("needs a uts namespace") !=
        std::string::npos);
  CHECK(error_of(with(no_net, "kernel.msgmax")).empty());
  // A namespace joined by path is the server's own too.
  CHECK(
      error_of(with("linux:\n  namespaces: [{type: mount}, {type: network, path: /run/netns/x}]\n",
                    "net.ipv4.ip_forward"))
          .empty());
}
