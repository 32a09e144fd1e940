// Networking of servers, for real, inside a network namespace each test
// makes for itself (the bridge and every veth live there; nothing leaves
// this machine): bridge and routed modes, IPv6 alongside IPv4, port
// forwards with nftables, IPAM, host/ns modes. What teardown leaves (nothing)
// is network_teardown_test.cpp.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness_netns.hpp"
#include "harness_vsrv.hpp"
#include "vsrv/base/file.hpp"

using vsrv::test::http_get;
using vsrv::test::ip;
using vsrv::test::ipam_entries;
using vsrv::test::one_error_line;
using vsrv::test::Result;
using vsrv::test::sh_spec;
using vsrv::test::TestNetns;
using vsrv::test::VsrvHarness;

namespace {

const char* kHttpd =
    "mkdir -p /www && echo hello-from-server > /www/index.html && exec httpd -f -p 80 -h /www";

std::string net_spec(const std::string& script, const std::string& network) {
  return sh_spec(script, "vsrv: {network: " + network + "}\n");
}

// The server's addresses as `list --format json` reports them.
std::vector<std::string> addresses(const VsrvHarness& h, const std::string& id) {
  Result r = h.vsrv({"list", "--format", "json"});
  REQUIRE(r.status == 0);
  for (const auto& e : nlohmann::json::parse(r.out)) {
    if (e.at("id") == id && e.contains("addresses"))
      return e.at("addresses").get<std::vector<std::string>>();
  }
  FAIL("no addresses for " << id << " in " << r.out);
  return {};
}

std::string bare(const std::string& cidr) {
  return cidr.substr(0, cidr.find('/'));
}

// busybox ping (ping6 for an IPv6 address) from inside a server; up to
// three tries of -c1 -W1.
const char* ping_for(const std::string& addr) {
  return addr.find(':') == std::string::npos ? "ping" : "ping6";
}

bool ping_from(const VsrvHarness& h, const std::string& id, const std::string& addr) {
  for (int i = 0; i < 3; ++i) {
    Result r = h.vsrv({"exec", id, "--", ping_for(addr), "-c1", "-W1", addr});
    if (r.status == 0) return true;
  }
  return false;
}

// The same from the test's namespace: the host side of every server.
bool ping_from_test(const std::string& addr) {
  for (int i = 0; i < 3; ++i) {
    Result r = vsrv::test::run({"/bin/busybox", ping_for(addr), "-c1", "-W1", addr});
    if (r.status == 0) return true;
  }
  return false;
}

// `ip ARGS` run inside a server (busybox ip); its output.
std::string ip_in(const VsrvHarness& h, const std::string& id, const std::string& args) {
  std::vector<std::string> argv = {"exec", id, "--", "ip"};
  for (const auto& w : vsrv::split(args, ' ')) argv.push_back(w);
  Result r = h.vsrv(argv);
  INFO("ip " << args << " in " << id << ": " << r.err);
  CHECK(r.status == 0);
  return r.out;
}

}  // namespace

TEST_CASE("two servers on one bridge reach each other over IPv4 and IPv6", "[network]") {
  TestNetns ns;
  VsrvHarness h;
  std::string a = h.new_id("br"), b = h.new_id("br");
  const std::string net = "{mode: bridge, address: auto, address6: auto}";
  h.run_detached(a, net_spec("exec sleep 100", net));
  h.run_detached(b, net_spec("exec sleep 100", net));
  auto aa = addresses(h, a), ba = addresses(h, b);
  REQUIRE(aa.size() == 2);
  REQUIRE(ba.size() == 2);
  CHECK(aa[0] != ba[0]);
  CHECK(aa[1] != ba[1]);
  CHECK(aa[0].rfind("10.77.", 0) == 0);
  CHECK(aa[0].substr(aa[0].find('/')) == "/16");
  CHECK(aa[1].rfind("fd76:7372:7600::", 0) == 0);

  CHECK(ping_from(h, a, bare(ba[0])));
  CHECK(ping_from(h, b, bare(aa[0])));
  // The gateway is the bridge on the host: the default route leads there.
  CHECK(ping_from(h, a, "10.77.0.1"));
  CHECK(ip_in(h, a, "route").find("default via 10.77.0.1 dev eth0") != std::string::npos);
  CHECK(ping_from_test(bare(aa[0])));

  // IPv6 alongside: the address on eth0, a default route via the bridge's
  // IPv6 gateway, ping6 between the servers, to the gateway and from the host.
  CHECK(ip_in(h, a, "-6 -o addr show dev eth0").find(aa[1]) != std::string::npos);
  CHECK(ip_in(h, b, "-6 -o addr show dev eth0").find(ba[1]) != std::string::npos);
  CHECK(ip_in(h, a, "-6 route").find("default via fd76:7372:7600::1 dev eth0") !=
        std::string::npos);
  CHECK(ping_from(h, a, bare(ba[1])));
  CHECK(ping_from(h, b, bare(aa[1])));
  CHECK(ping_from(h, a, "fd76:7372:7600::1"));
  CHECK(ping_from_test(bare(aa[1])));
  CHECK(ping_from_test(bare(ba[1])));
  CHECK(ip("-6 -o addr show dev vsrv0").find("fd76:7372:7600::1/64") != std::string::npos);
  // Host side: both veths enslaved to vsrv0, MTU from the default config.
  std::string links = ip("-o link show master vsrv0");
  CHECK(vsrv::test::lines_of(links).size() == 2);
  CHECK(links.find("mtu 1500") != std::string::npos);
}

TEST_CASE("a routed server is reachable from the host: /32 route and proxy ARP", "[network]") {
  TestNetns ns;
  VsrvHarness h;
  ip("addr add 10.55.0.1/32 dev lo");  // the host's own addresses
  ip("addr add fd55::1/128 dev lo");
  std::string id = h.new_id("rt");
  h.run_detached(id, net_spec(kHttpd,
                              "{mode: routed, address: 10.99.0.7/32, address6: "
                              "\"fd99::7/128\", mtu: 1400}"));
  CHECK(addresses(h, id) == std::vector<std::string>{"10.99.0.7/32", "fd99::7/128"});
  CHECK(ping_from_test("10.99.0.7"));
  CHECK(http_get("10.99.0.7", 80).find("hello-from-server") != std::string::npos);
  CHECK(http_get("fd99::7", 80).find("hello-from-server") != std::string::npos);
  CHECK(ping_from(h, id, "10.55.0.1"));
  // IPv6 alongside: the /128 inside, ping6 both ways (the host's own
  // address, the server's through its host route).
  CHECK(ip_in(h, id, "-6 -o addr show dev eth0").find("fd99::7/128") != std::string::npos);
  CHECK(ping_from_test("fd99::7"));
  CHECK(ping_from(h, id, "fd55::1"));
  // No bridge: a host route through the host end, which answers ARP.
  std::string host_if = "vs0a630007";
  CHECK(ip("-4 route show 10.99.0.7").find("dev " + host_if + " proto static scope link") !=
        std::string::npos);
  CHECK(ip("-6 route show fd99::7").find("dev " + host_if) != std::string::npos);
  CHECK(vsrv::trim(vsrv::read_file("/proc/sys/net/ipv4/conf/" + host_if + "/proxy_arp")) == "1");
  CHECK(ip("-o link show " + host_if).find("mtu 1400") != std::string::npos);
  CHECK(ip("-o link show " + host_if).find("master") == std::string::npos);
  // Inside: the link-local gateways with a fixed MAC.
  CHECK(ip_in(h, id, "route").find("default via 169.254.1.1 dev eth0") != std::string::npos);
  CHECK(ip_in(h, id, "-6 route").find("default via fe80::1 dev eth0") != std::string::npos);
  std::string neigh = ip_in(h, id, "neigh");
  CHECK(neigh.find("169.254.1.1 dev eth0 lladdr ee:ee:ee:ee:ee:ee") != std::string::npos);
  CHECK(neigh.find("fe80::1 dev eth0 lladdr ee:ee:ee:ee:ee:ee") != std::string::npos);
}

TEST_CASE("a forwarded port serves busybox httpd from a server", "[network]") {
  TestNetns ns;
  VsrvHarness h;
  ip("addr add 10.55.0.1/32 dev lo");
  ip("addr add fd55::1/128 dev lo");
  std::string web = h.new_id("web"), rt = h.new_id("webrt");
  h.run_detached(web, net_spec(kHttpd, "{mode: bridge, address6: auto, ports: [\"8080:80/tcp\"]}"));
  h.run_detached(rt, net_spec(kHttpd, "{mode: routed, ports: [\"9090:80\"]}"));
  // From the host's own addresses (not the server's) to the server's port 80.
  CHECK(http_get("10.55.0.1", 8080).find("hello-from-server") != std::string::npos);
  CHECK(http_get("10.77.0.1", 8080).find("hello-from-server") != std::string::npos);
  CHECK(http_get("fd55::1", 8080).find("hello-from-server") != std::string::npos);
  CHECK(http_get("10.55.0.1", 9090).find("hello-from-server") != std::string::npos);
  // A second server cannot take a forwarded host port.
  std::string clash = h.new_id("clash");
  Result r = h.vsrv(
      {"run", "-d", "--template", vsrv::test::kTemplate, "-f",
       h.write_spec(net_spec("exec sleep 100", "{mode: bridge, ports: [\"8080:81\"]}")), clash});
  CHECK(r.status == 2);
  CHECK(one_error_line(r.err));
  CHECK(r.err.find("host port 8080/tcp is forwarded already") != std::string::npos);
  CHECK(h.vsrv({"state", clash}).status == 2);
  // Deleting the server withdraws its forwards.
  REQUIRE(h.vsrv({"delete", "--force", web}).status == 0);
  CHECK(http_get("10.55.0.1", 8080, 300).empty());
  CHECK(http_get("10.55.0.1", 9090).find("hello-from-server") != std::string::npos);
}

TEST_CASE("200 servers get 200 distinct addresses (IPAM), allocated concurrently", "[network]") {
  TestNetns ns;
  VsrvHarness h;
  std::string config = h.write_spec("bridge: vsrvipam\nsubnet: 10.66.0.0/24\nmtu: 1450\n");
  std::string spec = h.write_spec(net_spec("exec sleep 100", "{mode: bridge, address: auto}"));
  constexpr int kServers = 200, kWorkers = 4;
  std::vector<std::string> ids;
  for (int i = 0; i < kServers; ++i) ids.push_back(h.new_id("ipam"));
  std::vector<Result> results(kServers);
  long long t0 = vsrv::test::now_ms();
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      for (int i = w; i < kServers; i += kWorkers) {
        results[i] =
            vsrv::test::run_limited(h.argv({"--network-config", config, "create", "--template",
                                            vsrv::test::kTemplate, "-f", spec, ids[i]}),
                                    "", 30000);
      }
    });
  }
  for (auto& t : workers) t.join();
  long long create_ms = vsrv::test::now_ms() - t0;
  for (int i = 0; i < kServers; ++i) {
    INFO(ids[i] << ": " << results[i].err);
    REQUIRE(results[i].status == 0);
  }
  std::set<std::string> seen;
  Result list = h.vsrv({"list", "--format", "json"});
  for (const auto& e : nlohmann::json::parse(list.out)) {
    auto a = e.at("addresses").get<std::vector<std::string>>();
    REQUIRE(a.size() == 1);
    CHECK(a[0].rfind("10.66.0.", 0) == 0);
    CHECK(a[0].substr(a[0].find('/')) == "/24");
    CHECK(a[0] != "10.66.0.0/24");
    CHECK(a[0] != "10.66.0.1/24");
    CHECK(a[0] != "10.66.0.255/24");
    seen.insert(a[0]);
  }
  CHECK(seen.size() == kServers);
  CHECK(ipam_entries(h.root()).size() == kServers);
  CHECK(vsrv::test::lines_of(ip("-o link show master vsrvipam")).size() == kServers);
  CHECK(ip("-o link show vsrvipam").find("mtu 1450") != std::string::npos);
  CHECK(ip("-o addr show vsrvipam").find("10.66.0.1/24") != std::string::npos);
  WARN("created " << kServers << " bridged servers in " << create_ms << " ms");

  auto delete_all = [&](int from, int step) {
    workers.clear();
    for (int w = 0; w < kWorkers; ++w) {
      workers.emplace_back([&, w] {
        for (int i = from + w * step; i < kServers; i += kWorkers * step)
          results[i] = vsrv::test::run_limited(h.argv({"delete", "--force", ids[i]}), "", 30000);
      });
    }
    for (auto& t : workers) t.join();
    for (int i = from; i < kServers; i += step) {
      INFO(ids[i] << ": " << results[i].err);
      REQUIRE(results[i].status == 0);
    }
  };
  long long t1 = vsrv::test::now_ms();
  delete_all(0, 2);
  CHECK(ipam_entries(h.root()).size() == kServers / 2);
  delete_all(1, 2);
  WARN("deleted " << kServers << " servers in " << vsrv::test::now_ms() - t1 << " ms");
  CHECK(ipam_entries(h.root()).empty());
  // The bridge vsrv made for them went with the last.
  CHECK(ip("-o link show").find("vsrvipam") == std::string::npos);
}

TEST_CASE("an exhausted subnet and taken addresses fail cleanly", "[network]") {
  TestNetns ns;
  VsrvHarness h;
  std::string config = h.write_spec("subnet: 10.67.0.0/29\n");  // .2 to .6
  std::string spec = h.write_spec(net_spec("exec sleep 100", "{mode: bridge}"));
  auto create = [&](const std::string& id, const std::string& s) {
    return h.vsrv(
        {"--network-config", config, "create", "--template", vsrv::test::kTemplate, "-f", s, id});
  };
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(h.new_id("full"));
    REQUIRE(create(ids.back(), spec).status == 0);
  }
  std::string extra = h.new_id("full");
  Result r = create(extra, spec);
  CHECK(r.status == 2);
  CHECK(one_error_line(r.err));
  CHECK(r.err.find("no free address left in 10.67.0.0/29") != std::string::npos);
  CHECK(h.vsrv({"state", extra}).status == 2);
  // A freed address is handed out again.
  REQUIRE(h.vsrv({"delete", ids[2]}).status == 0);
  REQUIRE(create(extra, spec).status == 0);
  CHECK(addresses(h, extra) == std::vector<std::string>{"10.67.0.4/29"});

  // A fixed address another server holds, and one outside the subnet.
  std::string fixed = h.new_id("fixed");
  r = create(fixed,
             h.write_spec(net_spec("exec sleep 100", "{mode: bridge, address: 10.67.0.4/29}")));
  CHECK(r.status == 2);
  CHECK(r.err == "vsrv: address 10.67.0.4 is in use by server " + extra + "\n");
  r = create(fixed,
             h.write_spec(net_spec("exec sleep 100", "{mode: bridge, address: 10.1.0.4/24}")));
  CHECK(r.status == 1);
  CHECK(one_error_line(r.err));
  CHECK(r.err.find("not a server address of the bridge subnet 10.67.0.0/29") != std::string::npos);
  // Bad input in the spec and the config.
  r = h.vsrv({"create", "--template", vsrv::test::kTemplate, "-f",
              h.write_spec(net_spec("exec sleep 100", "{mode: bridge, ports: [\"80\"]}")), fixed});
  CHECK(r.status == 1);
  CHECK(r.err.find("vsrv.network.ports[0]: must be HOSTPORT:PORT[/tcp|udp]") != std::string::npos);
  r = h.vsrv({"create", "--template", vsrv::test::kTemplate, "-f",
              h.write_spec(net_spec("exec sleep 100", "{mode: none, ports: [\"80:80\"]}")), fixed});
  CHECK(r.status == 1);
  CHECK(r.err.find("vsrv.network.ports: only used with mode bridge or routed") !=
        std::string::npos);
  r = h.vsrv({"--network-config", h.write_spec("subnet: 10.0.0.0/31\n"), "create", "--template",
              vsrv::test::kTemplate, "-f", spec, fixed});
  CHECK(r.status == 1);
  CHECK(r.err.find("subnet: 10.0.0.0/31 is not a usable IPv4 subnet") != std::string::npos);
  CHECK(h.vsrv({"state", fixed}).status == 2);
}

TEST_CASE("host and ns modes: the host's namespace, or one given by path", "[network]") {
  TestNetns ns;
  VsrvHarness h;
  std::string owner = h.new_id("nsown"), joiner = h.new_id("nsjoin"), host = h.new_id("host");
  h.run_detached(owner, net_spec("exec sleep 100", "{mode: bridge}"));
  pid_t pid = h.state_file(owner).at("pid").get<pid_t>();
  std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
  h.run_detached(joiner, net_spec("exec sleep 100", "{mode: ns, path: " + path + "}"));
  pid_t jpid = h.state_file(joiner).at("pid").get<pid_t>();
  CHECK(vsrv::test::ns_link(jpid, "net") == vsrv::test::ns_link(pid, "net"));
  Result r = h.vsrv({"exec", joiner, "--", "ip", "-o", "-4", "addr", "show", "eth0"});
  CHECK(r.out.find(bare(addresses(h, owner)[0])) != std::string::npos);

  h.run_detached(host, net_spec("exec sleep 100", "host"));
  pid_t hpid = h.state_file(host).at("pid").get<pid_t>();
  CHECK(vsrv::test::ns_link(hpid, "net") == vsrv::test::ns_link(::getpid(), "net"));
  // Nothing was set up outside for either.
  CHECK(vsrv::test::lines_of(ip("-o link show master vsrv0")).size() == 1);
}
