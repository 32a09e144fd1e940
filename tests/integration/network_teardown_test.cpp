// What the networking of servers leaves behind: nothing. Each test runs in a
// network namespace of its own (nothing leaves this machine) and compares
// complete snapshots of it (links with their master and MTU, addresses,
// IPv4 and IPv6 routes of every table, rules, proxy and permanent
// neighbours, the whole nftables ruleset) taken before the servers and
// after their deletes: after normal deletes, after the monitor and init were
// killed, after creates killed at each network phase. The bridge and the
// nftables table vsrv makes go with the last server using them, also while
// other creates race their removal; those vsrv did not make stay.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "harness_netns.hpp"
#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::ip;
using vsrv::test::ipam_entries;
using vsrv::test::net_records;
using vsrv::test::net_snapshot;
using vsrv::test::nft;
using vsrv::test::Result;
using vsrv::test::sh_spec;
using vsrv::test::TestNetns;
using vsrv::test::VsrvHarness;

namespace {

std::string net_spec(const std::string& script, const std::string& network) {
  return sh_spec(script, "vsrv: {network: " + network + "}\n");
}

bool has_link(const std::string& name) {
  for (const auto& line : vsrv::test::lines_of(ip("-o link show"))) {
    auto w = vsrv::split(line, ' ');
    if (w.size() > 1 && w[1].substr(0, w[1].find_first_of("@:")) == name) return true;
  }
  return false;
}

// A process's state letter from /proc/PID/stat ('T': stopped); 0 when gone.
char proc_state(pid_t pid) {
  std::optional<std::string> stat;
  try {
    stat = vsrv::try_read_file("/proc/" + std::to_string(pid) + "/stat");
  } catch (...) {
  }
  if (!stat) return 0;
  auto close = stat->rfind(')');
  return close != std::string::npos && close + 2 < stat->size() ? (*stat)[close + 2] : 0;
}

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::string p = std::to_string(pid);
  std::optional<std::string> text;
  try {
    text = vsrv::try_read_file("/proc/" + p + "/task/" + p + "/children");
  } catch (...) {
  }
  for (const auto& w : vsrv::split(text.value_or(""), ' '))
    if (!w.empty()) out.push_back(std::stoi(w));
  return out;
}

// Starts argv with VSRV_TEST_STOP_AT=point, its output to /dev/null.
pid_t spawn_stopping_at(const std::vector<std::string>& argv, const std::string& point) {
  return vsrv::test::spawn_quiet(argv, {"VSRV_TEST_STOP_AT=" + point});
}

// The process (pid, or its child: the monitor) stopped at the stop point;
// -1 when pid exited instead or nothing stopped in time.
pid_t wait_stopped(pid_t pid, int timeout_ms) {
  long long deadline = vsrv::test::now_ms() + timeout_ms;
  while (vsrv::test::now_ms() < deadline) {
    if (proc_state(pid) == 'T') return pid;
    for (pid_t c : children_of(pid))
      if (proc_state(c) == 'T') return c;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return -1;
    vsrv::test::sleep_ms(5);
  }
  return -1;
}

const char* kSleep = "exec sleep 100";

}  // namespace

TEST_CASE("the namespace snapshot sees every kind of leftover", "[network]") {
  TestNetns ns;
  // Ground the changes below stand on, part of the baseline.
  ip("link add vsnapa type veth peer name vsnapb");
  ip("link add vsnapbr type bridge");
  ip("link set vsnapa up");
  // The first IPv6 address gives the device its IPv6 multicast route, which
  // stays after it: the kernel's doing, part of the ground.
  ip("addr add fd20::9/128 dev vsnapa nodad");
  ip("addr del fd20::9/128 dev vsnapa");
  nft("add table inet vsnapt\n"
      "add map inet vsnapt m { type inet_proto . inet_service : ipv4_addr . inet_service; }");
  const std::string before = net_snapshot();
  struct Change {
    const char* what;
    std::string apply, undo;
    bool nftables = false;
  };
  const std::vector<Change> changes = {
      {"a link", "link add vsnapx type veth peer name vsnapy", "link del vsnapx"},
      {"a link's master", "link set vsnapb master vsnapbr", "link set vsnapb nomaster"},
      {"a link's MTU", "link set vsnapa mtu 1400", "link set vsnapa mtu 1500"},
      {"an IPv4 address", "addr add 10.201.0.1/32 dev vsnapa", "addr del 10.201.0.1/32 dev vsnapa"},
      {"an IPv6 address", "addr add fd20::1/128 dev vsnapa nodad",
       "addr del fd20::1/128 dev vsnapa"},
      {"an IPv4 route", "route add 10.202.0.7/32 dev vsnapa", "route del 10.202.0.7/32 dev vsnapa"},
      {"an IPv6 route", "-6 route add fd21::7/128 dev vsnapa",
       "-6 route del fd21::7/128 dev vsnapa"},
      {"a route of another table", "route add blackhole 10.203.0.0/24 table 77",
       "route del blackhole 10.203.0.0/24 table 77"},
      {"an IPv4 rule", "rule add from 10.204.0.0/24 table 77",
       "rule del from 10.204.0.0/24 table 77"},
      {"an IPv6 rule", "-6 rule add from fd22::/64 table 77",
       "-6 rule del from fd22::/64 table 77"},
      {"an IPv4 proxy neighbour", "neigh add proxy 10.205.0.1 dev vsnapa",
       "neigh del proxy 10.205.0.1 dev vsnapa"},
      {"an IPv6 proxy neighbour", "-6 neigh add proxy fd23::1 dev vsnapa",
       "-6 neigh del proxy fd23::1 dev vsnapa"},
      {"a permanent IPv4 neighbour",
       "neigh add 10.206.0.1 lladdr ee:ee:ee:ee:ee:ee dev vsnapa nud permanent",
       "neigh del 10.206.0.1 dev vsnapa"},
      {"a permanent IPv6 neighbour",
       "-6 neigh add fd24::1 lladdr ee:ee:ee:ee:ee:ee dev vsnapa nud permanent",
       "-6 neigh del fd24::1 dev vsnapa"},
      {"an nftables table", "add table ip vsnapu", "delete table ip vsnapu", true},
      {"an nftables map element", "add element inet vsnapt m { tcp . 80 : 10.0.0.1 . 80 }",
       "delete element inet vsnapt m { tcp . 80 }", true},
  };
  for (const auto& c : changes) {
    INFO(c.what);
    if (c.nftables) {
      nft(c.apply);
    } else {
      ip(c.apply);
    }
    std::string with = net_snapshot();
    CHECK(with != before);
    if (c.nftables) {
      nft(c.undo);
    } else {
      ip(c.undo);
    }
    CHECK(net_snapshot() == before);
  }
}

TEST_CASE("delete leaves no link, route, rule, address, neighbour or forward, even after a crash",
          "[network]") {
  TestNetns ns;
  VsrvHarness h;
  const std::string before = net_snapshot();
  std::string br = h.new_id("td"), rt = h.new_id("td"), crashed = h.new_id("crash");
  h.run_detached(br, net_spec(kSleep,
                              "{mode: bridge, address6: auto, ports: [\"8081:80\", "
                              "\"5353:53/udp\"]}"));
  h.run_detached(rt, net_spec(kSleep, "{mode: routed, address6: auto, ports: [\"8082:80\"]}"));
  h.run_detached(crashed, net_spec(kSleep, "{mode: routed, address6: auto, ports: [\"8083:80\"]}"));
  std::string during = net_snapshot();
  INFO(during);
  CHECK(during.find("link vsrv0 mtu 1500\n") != std::string::npos);
  CHECK(during.find("addr vsrv0 inet 10.77.0.1/16\n") != std::string::npos);
  CHECK(during.find("addr vsrv0 inet6 fd76:7372:7600::1/64\n") != std::string::npos);
  CHECK(during.find("comment \"created by vsrv") != std::string::npos);
  CHECK(during.find("elements") != std::string::npos);
  CHECK(ipam_entries(h.root()).size() == 6);

  // A crash: the monitor and the init die without vsrv doing anything.
  auto st = h.state_file(crashed);
  for (const char* key : {"monitorPid", "pid"}) {
    pid_t pid = st.at(key).get<pid_t>();
    REQUIRE(pid > 0);
    ::kill(pid, SIGKILL);
  }
  CHECK(h.wait_status(crashed, "stopped"));

  REQUIRE(h.vsrv({"delete", "--force", br}).status == 0);
  REQUIRE(h.vsrv({"stop", "-t", "1", rt}).status == 0);
  REQUIRE(h.vsrv({"delete", rt}).status == 0);
  REQUIRE(h.vsrv({"delete", "--force", crashed}).status == 0);
  CHECK(net_snapshot() == before);
  CHECK(ipam_entries(h.root()).empty());
  CHECK(net_records(h.root()).empty());
  // Deleting again is harmless.
  CHECK(h.vsrv({"delete", "--force", crashed}).status == 0);
  CHECK(net_snapshot() == before);
}

TEST_CASE("delete --force after a create killed at each network phase leaves nothing",
          "[network]") {
  TestNetns ns;
  VsrvHarness h;
  const std::string before = net_snapshot();
  const std::string bridged =
      "{mode: bridge, address6: auto, ports: [\"18080:80\", \"18053:53/udp\"]}";
  const std::string routed = "{mode: routed, address6: auto, ports: [\"18081:80\"]}";
  struct Phase {
    const char* point;  // VSRV_TEST_STOP_AT
    std::string network;
    bool engine = false;  // create --pid-file: no monitor, the host side is set up by create
  };
  const std::vector<Phase> phases = {
      {"net-ipam", bridged},    // addresses claimed, not yet in state.json
      {"net-ports", bridged},   // + port forwards in the (new) nftables table
      {"net-bridge", bridged},  // + the bridge (by the monitor)
      {"net-veth", bridged},    // + the veth pair on it
      {"net-routes", bridged},  // everything outside, the init not yet let go
      {"net-veth", routed},        {"net-routes", routed},  // + the /32 and /128 host routes
      {"net-veth", bridged, true}, {"net-routes", routed, true},
  };
  for (const auto& phase : phases) {
    std::string id = h.new_id("kill");
    INFO("killed at " << phase.point << (phase.engine ? " (--pid-file)" : "") << ", "
                      << phase.network << ": " << id);
    std::vector<std::string> args = {"create", "--template", vsrv::test::kTemplate, "-f",
                                     h.write_spec(net_spec(kSleep, phase.network))};
    if (phase.engine) {
      args.push_back("--pid-file");
      args.push_back(h.scratch() + "/" + id + ".pid");
    }
    args.push_back(id);
    pid_t create = spawn_stopping_at(h.argv(args), phase.point);
    pid_t stopped = wait_stopped(create, 20000);
    if (stopped < 0) ::kill(create, SIGKILL);
    REQUIRE(stopped > 0);
    CHECK((stopped == create) == (phase.engine || std::string(phase.point) == "net-ipam" ||
                                  std::string(phase.point) == "net-ports"));
    // The phase has left something outside to clean.
    CHECK(ipam_entries(h.root()).size() == 2);
    std::string during = net_snapshot();
    if (std::string(phase.point) == "net-ipam") {
      CHECK(!h.state_file(id).contains("network"));  // only the IPAM journal knows
      CHECK(during == before);
    } else {
      CHECK(during != before);
    }
    auto dirs = h.state_file(id).at("cgroupDirs").get<std::vector<std::string>>();

    // The crash: every vsrv process of this create dies at once (the init,
    // waiting for its go, then exits by itself).
    ::kill(stopped, SIGKILL);
    ::kill(create, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(create, &status, 0) == create);
    Result d = h.vsrv({"delete", "--force", id});
    INFO("delete: " << d.err);
    CHECK(d.status == 0);
    CHECK(net_snapshot() == before);
    CHECK(ipam_entries(h.root()).empty());
    CHECK(net_records(h.root()).empty());
    CHECK(h.traces(id, dirs) == std::vector<std::string>{});
  }
}

TEST_CASE("the bridge and the nftables table vsrv made go with the last server using them",
          "[network]") {
  TestNetns ns;
  VsrvHarness h;
  const std::string before = net_snapshot();
  std::string a = h.new_id("gc"), b = h.new_id("gc"), r = h.new_id("gcrt");
  h.run_detached(a, net_spec(kSleep, "{mode: bridge, address6: auto, ports: [\"8080:80\"]}"));
  h.run_detached(b, net_spec(kSleep, "{mode: bridge}"));
  h.run_detached(r, net_spec(kSleep, "{mode: routed, ports: [\"8081:80\"]}"));
  CHECK(net_records(h.root()) == std::vector<std::string>{"bridge-vsrv0"});
  // b still uses the bridge, r the table.
  REQUIRE(h.vsrv({"delete", "--force", a}).status == 0);
  CHECK(has_link("vsrv0"));
  CHECK(nft("list table inet vsrv").find("tcp . 8081") != std::string::npos);
  REQUIRE(h.vsrv({"delete", "--force", b}).status == 0);
  CHECK_FALSE(has_link("vsrv0"));
  CHECK(net_records(h.root()).empty());
  CHECK(nft("list table inet vsrv").find("tcp . 8081") != std::string::npos);
  REQUIRE(h.vsrv({"delete", "--force", r}).status == 0);
  CHECK(net_snapshot() == before);

  // Creates racing the removal: each worker makes and deletes bridged
  // servers with a port, over and over, so that the bridge and the table
  // go and come back while others are about to use them (the lock in
  // <root>/.net keeps every create whole).
  constexpr int kWorkers = 3, kRounds = 8;
  std::vector<std::string> errors(kWorkers);
  std::string spec_dir = h.scratch();
  std::vector<std::string> specs;
  for (int w = 0; w < kWorkers; ++w) {
    for (int i = 0; i < kRounds; ++i) {
      specs.push_back(
          h.write_spec(net_spec(kSleep, "{mode: bridge, address6: auto, ports: [\"" +
                                            std::to_string(20000 + w * 100 + i) + ":80\"]}")));
    }
  }
  std::vector<std::string> ids;
  for (int i = 0; i < kWorkers * kRounds; ++i) ids.push_back(h.new_id("race"));
  long long t0 = vsrv::test::now_ms();
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; i < kRounds && errors[w].empty(); ++i) {
        const std::string& id = ids[w * kRounds + i];
        Result c = vsrv::test::run_limited(h.argv({"run", "-d", "--template", vsrv::test::kTemplate,
                                                   "-f", specs[w * kRounds + i], id}),
                                           "", 30000);
        if (c.status != 0) errors[w] = "run " + id + ": " + c.err;
        Result d = vsrv::test::run_limited(h.argv({"delete", "--force", id}), "", 30000);
        if ((d.status != 0 || !d.err.empty()) && errors[w].empty())
          errors[w] = "delete " + id + ": " + d.err;
      }
    });
  }
  for (auto& t : workers) t.join();
  WARN(kWorkers * kRounds << " bridged servers made and deleted by " << kWorkers
                          << " racing workers in " << vsrv::test::now_ms() - t0 << " ms");
  for (const auto& e : errors) CHECK(e == "");
  CHECK(net_snapshot() == before);
  CHECK(ipam_entries(h.root()).empty());
  CHECK(net_records(h.root()).empty());
}

TEST_CASE("a bridge or nftables table vsrv did not make stays, with what the admin put on it",
          "[network]") {
  TestNetns ns;
  VsrvHarness h;
  // The admin's bridge, with the gateway's IPv4 address, and a table inet
  // vsrv like the one vsrv makes but without its comment (as an older vsrv,
  // or the admin, made it).
  ip("link add vsrv0 type bridge");
  // No IPv6 link-local address of its own once a port gives it a carrier:
  // the kernel's, not vsrv's, it would stay after the server.
  ip("link set vsrv0 addrgenmode none");
  ip("addr add 10.77.0.1/16 dev vsrv0");
  ip("link set vsrv0 up");
  nft("add table inet vsrv\n"
      "add map inet vsrv fwd4 { type inet_proto . inet_service : ipv4_addr . inet_service; }\n"
      "add map inet vsrv fwd6 { type inet_proto . inet_service : ipv6_addr . inet_service; }\n"
      "add chain inet vsrv prerouting { type nat hook prerouting priority -100; policy accept; }\n"
      "add rule inet vsrv prerouting meta nfproto ipv4 fib daddr type local dnat ip to meta "
      "l4proto . th dport map @fwd4\n");
  const std::string before = net_snapshot();
  std::string id = h.new_id("adm");
  h.run_detached(id, net_spec(kSleep, "{mode: bridge, address6: auto, ports: [\"8080:80\"]}"));
  std::string during = net_snapshot();
  // vsrv added the IPv6 gateway (and only that) to the bridge.
  CHECK(during.find("addr vsrv0 inet6 fd76:7372:7600::1/64") != std::string::npos);
  CHECK(nft("list table inet vsrv").find("tcp . 8080") != std::string::npos);
  REQUIRE(h.vsrv({"delete", "--force", id}).status == 0);
  // The bridge, its IPv4 address and the table stay; the IPv6 gateway goes.
  CHECK(net_snapshot() == before);
  CHECK(net_records(h.root()).empty());

  // A bridge vsrv made, but deleted and made again by someone else since,
  // is not vsrv's either.
  std::string config = h.write_spec("bridge: vsrvre\nsubnet: 10.68.0.0/24\n");
  std::string re = h.new_id("re");
  REQUIRE(h.vsrv({"--network-config", config, "run", "-d", "--template", vsrv::test::kTemplate,
                  "-f", h.write_spec(net_spec(kSleep, "{mode: bridge}")), re})
              .status == 0);
  CHECK(net_records(h.root()) == std::vector<std::string>{"bridge-vsrvre"});
  ip("link del vsrvre");
  ip("link add vsrvre type bridge");
  REQUIRE(h.vsrv({"--network-config", config, "delete", "--force", re}).status == 0);
  CHECK(has_link("vsrvre"));
  CHECK(net_records(h.root()).empty());  // the stale record is dropped
  ip("link del vsrvre");
  CHECK(net_snapshot() == before);
}
