// Pure functions of the cgroups layer: /proc/self/cgroup parsing, path
// validation, OCI -> cgroup v2 translations.
#include <catch2/catch.hpp>

#include "vsrv/base/error.hpp"
#include "vsrv/cgroups/parse.hpp"

using namespace vsrv::cgroups;

TEST_CASE("parse_self_cgroup reads a hybrid host's file") {
  auto e = parse_self_cgroup(
      "9:name=systemd:/\n"
      "4:memory:/process_api/c98\n"
      "2:cpu,cpuacct:/a:b\n"
      "0::/\n");
  REQUIRE(e.size() == 4);
  CHECK(e[0].id == 9);
  CHECK(e[0].controllers == std::vector<std::string>{"name=systemd"});
  CHECK(e[1].controllers == std::vector<std::string>{"memory"});
  CHECK(e[1].path == "/process_api/c98");
  CHECK(e[2].controllers == std::vector<std::string>{"cpu", "cpuacct"});
  CHECK(e[2].path == "/a:b");  // a ':' in the path is kept
  CHECK(e[3].id == 0);
  CHECK(e[3].controllers.empty());
  CHECK(e[3].path == "/");
}

TEST_CASE("parse_self_cgroup reads a pure v2 host's file") {
  auto e = parse_self_cgroup("0::/user.slice/user-0.slice/session-1.scope\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].path == "/user.slice/user-0.slice/session-1.scope");
}

TEST_CASE("parse_self_cgroup refuses malformed lines") {
  CHECK_THROWS_AS(parse_self_cgroup("garbage\n"), vsrv::Error);
  CHECK_THROWS_AS(parse_self_cgroup("x:memory:/\n"), vsrv::Error);
  CHECK_THROWS_AS(parse_self_cgroup("4:memory:relative\n"), vsrv::Error);
  CHECK_THROWS_AS(parse_self_cgroup("4:memory\n"), vsrv::Error);
}

TEST_CASE("cgroup_path_components validates cgroupsPath") {
  CHECK(cgroup_path_components("vsrv/abc") == std::vector<std::string>{"vsrv", "abc"});
  CHECK(cgroup_path_components("/machine//x/") == std::vector<std::string>{"machine", "x"});
  CHECK_THROWS_WITH(cgroup_path_components("../x"), Catch::Contains("\"..\" is not allowed"));
  CHECK_THROWS_AS(cgroup_path_components("a/../../b"), vsrv::Error);
  CHECK_THROWS_AS(cgroup_path_components("a/./b"), vsrv::Error);
  CHECK_THROWS_AS(cgroup_path_components(""), vsrv::Error);
  CHECK_THROWS_AS(cgroup_path_components("/"), vsrv::Error);
}

TEST_CASE("validate_unified_key accepts file names only") {
  CHECK_NOTHROW(validate_unified_key("memory.high"));
  CHECK_THROWS_AS(validate_unified_key("../memory.high"), vsrv::Error);
  CHECK_THROWS_AS(validate_unified_key("a/b"), vsrv::Error);
  CHECK_THROWS_AS(validate_unified_key(".."), vsrv::Error);
  CHECK_THROWS_AS(validate_unified_key(""), vsrv::Error);
}

TEST_CASE("shares_to_weight maps [2, 262144] onto [1, 10000]") {
  CHECK(shares_to_weight(2) == 1);
  CHECK(shares_to_weight(1024) == 39);
  CHECK(shares_to_weight(262144) == 10000);
  CHECK(shares_to_weight(1) == 1);            // clamped
  CHECK(shares_to_weight(1000000) == 10000);  // clamped
}

TEST_CASE("swap_to_v2 turns memory+swap into swap alone") {
  const int64_t mib = 1 << 20;
  CHECK(swap_to_v2(64 * mib, 96 * mib) == std::to_string(32 * mib));
  CHECK(swap_to_v2(64 * mib, 64 * mib) == "0");
  CHECK(swap_to_v2(64 * mib, -1) == "max");
  CHECK(swap_to_v2(std::nullopt, -1) == "max");
  CHECK_FALSE(swap_to_v2(64 * mib, std::nullopt));
  CHECK_FALSE(swap_to_v2(64 * mib, 0));
  CHECK_THROWS_WITH(swap_to_v2(64 * mib, 32 * mib), Catch::Contains("linux.resources.memory.swap"));
  CHECK_THROWS_WITH(swap_to_v2(std::nullopt, 32 * mib),
                    Catch::Contains("linux.resources.memory.swap"));
}

TEST_CASE("format_cpu_max") {
  CHECK(format_cpu_max(50000, 100000) == "50000 100000");
  CHECK(format_cpu_max(-1, 100000) == "max 100000");
  CHECK(format_cpu_max(-1, 250000) == "max 250000");
}

TEST_CASE("key_value reads cgroup.events") {
  std::string ev = "populated 1\nfrozen 0\n";
  CHECK(key_value(ev, "populated") == "1");
  CHECK(key_value(ev, "frozen") == "0");
  CHECK_FALSE(key_value(ev, "froze"));
  CHECK_FALSE(key_value(ev, "missing"));
}
